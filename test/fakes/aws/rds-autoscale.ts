import { RDS_TIMES, runPhases } from "./rds-model.js";
import type { DbInstance } from "./state.js";
import type { World } from "./world.js";

/**
 * What RDS storage autoscaling does by itself when free space runs low (no API call): grows the
 * volume by the greatest of 10 GiB, 10% of the allocated size and the predicted growth, up to
 * MaxAllocatedStorage; only with autoscaling on, not while optimizing nor within 6 hours of the last
 * storage change. Performance left at the baseline (gp3 IOPS/throughput never set) follows the new
 * size, as on RDS. Source: RDS User Guide, "Managing capacity automatically with Amazon RDS storage
 * autoscaling". Returns the new size; throws (a test mistake, not an AWS error) when RDS would not grow it.
 */
export function autoscaleStorage(w: World, inst: DbInstance, predictedGrowthGiB = 0): number {
  const max = inst.maxAllocatedStorage;
  if (max === undefined) throw new Error(`${inst.id} has storage autoscaling off (no MaxAllocatedStorage)`);
  if (inst.allocatedStorage >= max) throw new Error(`${inst.id} is already at its maximum of ${max} GiB`);
  if (inst.status !== "available") throw new Error(`${inst.id} is ${inst.status}; autoscaling waits`);
  if (inst.lastStorageChange !== undefined && w.now() - inst.lastStorageChange < RDS_TIMES.storageCooldown)
    throw new Error(`${inst.id} had a storage change less than 6 hours ago; autoscaling waits`);
  const step = Math.max(10, Math.ceil(inst.allocatedStorage / 10), Math.ceil(predictedGrowthGiB));
  const size = Math.min(max, inst.allocatedStorage + step);
  inst.allocatedStorage = size;
  inst.lastStorageChange = w.now();
  runPhases(w, inst, [["storage-optimization", RDS_TIMES.storageOptimization]]);
  return size;
}
