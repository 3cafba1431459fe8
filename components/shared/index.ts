export * from "./interfaces";
export * from "./rbac";
export * from "./privateEndpoint";
export * from "./diagnostics";
export * from "./cmk";
export * from "./protection";
export * from "./context";
export * from "./functionApp";
