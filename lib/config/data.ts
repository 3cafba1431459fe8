/** Stack configuration of the data tiers: `sql` (OLTP), `olap` (Synapse and the lake) and `cosmos` (NoSQL), a file each. */
export * from "./sql";
export * from "./olap";
export * from "./cosmos";
