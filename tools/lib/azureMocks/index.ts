/**
 * Realistic ARM ids and provider outputs for the offline preview's mock engine. Each resource type the program
 * uses has an entry: its ARM path template (placeholders are input names) and the outputs Azure computes
 * (FQDNs, principal ids, key URIs, ...). Inputs are echoed as outputs here; the engine then keeps an azure-native
 * resource's output properties only, as its state does (tools/lib/outputShape.ts).
 */
export { DEPLOYER_OBJECT_ID, SUBSCRIPTION_ID, TENANT_ID, type ArmSpec, type MockContext } from "./common";
export { ARM_TYPES, azureName, mockResource } from "./resources";
export { ARM_READ, mockArmRead, mockCall } from "./invokes";
