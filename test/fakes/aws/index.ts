/**
 * The stateful AWS fake used by the AWS target's tests. See SPEC.md beside this file.
 */
export type { SimClock } from "./clock.js";
export { EB_TIMES } from "./eb.js";
export { environmentProperties, effectiveSecurityGroups, NS as EB_NAMESPACES } from "./eb-model.js";
export { awsError, isSimulatedCrash, type ServiceName, SimulatedCrash, THROTTLE_ERROR } from "./errors.js";
export type { Faults } from "./faults.js";
export {
  type CallRecord,
  type FakeAws,
  type FakeAwsOptions,
  type FakeState,
  installFakeAws,
} from "./install.js";
export { RDS_TIMES } from "./rds-model.js";
export { PROXY_PORTS, PROXY_TIMES } from "./rds-proxy-health.js";
export {
  LEGACY_PLATFORM_RELEASE,
  MODERN_PLATFORM_RELEASE,
  type SeededEnvironment,
  seedDefaultEnvironment,
  Seeder,
} from "./seed.js";
export type * from "./state.js";
export type { ResourceKind } from "./world.js";
export { appDatabases, type Reach } from "./eb-app-db.js";
export { coupledInstanceIn, coupledOptions, NS_RDS, RDS_LOGICAL } from "./eb-coupled.js";
export {
  addCoupledDatabase,
  addReplicasByHand,
  type CoupledDatabaseOptions,
  settle,
} from "./eb-coupled-seed.js";
