#!/usr/bin/env node
import { existsSync } from "node:fs";

// The bundle (scripts/build-cli.mjs) loads a handful of files instead of ~130 modules; dist/cli/
// is tsc's output, for a build made without it.
const bundle = new URL("../dist/cli-bundle/main.js", import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : "../dist/cli/main.js");

process.exitCode = await main(process.argv.slice(2));
