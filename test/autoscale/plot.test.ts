import { describe, expect, it } from "vitest";
import { renderPlot } from "../../src/autoscale/plot-svg.js";
import { POLICIES } from "../../src/autoscale/policies.js";
import { simulate } from "../../src/autoscale/simulate.js";
import { CONFIG } from "./helpers.js";

const demand = [...Array(60).fill(1), ...Array(60).fill(9), ...Array(120).fill(1)];
const result = simulate(
  demand.map((demandVcpu, minute) => ({ minute, demandVcpu })),
  { policy: POLICIES.ebdb, config: CONFIG, initialReplicas: 1 },
);
const svg = renderPlot(result, {
  title: "spike <test> & co",
  replicaVcpus: 2,
  targetCpuPercent: 70,
  maxCapacity: 10,
});

describe("the SVG plot", () => {
  it("is one self-contained SVG document with escaped text and no script", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("spike &lt;test&gt; &amp; co");
    expect(svg).not.toMatch(/<script|href=/);
    // Every element is closed: as many openings (not self-closed) as closings, per tag.
    for (const tag of ["svg", "text", "g", "path"]) {
      const open = svg.match(new RegExp(`<${tag}[ >][^>]*[^/]>`, "g"))?.length ?? 0;
      const close = svg.match(new RegExp(`</${tag}>`, "g"))?.length ?? 0;
      expect(close, tag).toBe(open);
    }
  });

  it("gives the figures, a legend, one marker per action and the saturated minutes", () => {
    const s = result.summary;
    expect(svg).toContain(`${s.saturated_minutes} saturated min`);
    expect(svg).toContain(`${s.replica_hours} replica-hours`);
    for (const label of [
      "demand",
      "ready capacity",
      "load at target CPU",
      "saturated",
      "provisioning",
      "scale-out",
      "scale-in",
    ]) {
      expect(svg).toContain(`>${label}</text>`);
    }
    const markers = svg.match(/<title>minute \d+: [+-]\d+<\/title>/g) ?? [];
    expect(markers.length).toBe(s.scale_out_actions + s.scale_in_actions);
    expect(s.saturated_minutes).toBeGreaterThan(0);
    // One red bar per saturated minute, and the legend's swatch.
    expect(svg.match(/fill="#e63946" fill-opacity="0.45"\/>/g)?.length).toBe(s.saturated_minutes + 1);
    expect(svg).toContain(">max 10</text>");
  });
});
