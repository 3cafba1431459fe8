/** Pricing rules of the network: firewall, DDoS, private endpoints and DNS, public IPs, NAT, Application Gateway. */
import { HOURS_PER_MONTH as H } from "../prices";
import { armIdOf, at, notEstimated, num, priced, str, type LineSpec, type Rule } from "../model";
import { AN, stoppingSchedule } from "./common";
import { sdkTypeOf } from "../../sdkType";

export const firewall: Rule = (r, ctx) => {
  const tier = str(r.inputs, "sku.tier") ?? "Standard";
  if (tier !== "Premium" && tier !== "Standard") return notEstimated(`Azure Firewall ${tier} has no price row`);
  return priced(
    { meter: `Azure Firewall ${tier}`, priceId: `firewall-${tier.toLowerCase()}`, quantity: H },
    {
      meter: `Data processed ${ctx.usage.firewallProcessedGbPerMonth} GB`,
      priceId: "firewall-data",
      quantity: ctx.usage.firewallProcessedGbPerMonth,
    },
  );
};

/**
 * A peering bills the data that crosses it, inbound and outbound each, on its own side (priced at the intra-region
 * rate: the hub is taken to be in the stack's region; the hub's side is billed to the hub's owner).
 */
export const virtualNetworkPeering: Rule = (_r, ctx) => {
  const gb = ctx.usage.hubPeeringGbPerMonth;
  return priced(
    { meter: `VNet peering inbound ${gb} GB`, priceId: "vnet-peering-intra-region", quantity: gb },
    { meter: `VNet peering outbound ${gb} GB`, priceId: "vnet-peering-intra-region", quantity: gb },
  );
};

export const ddosPlan: Rule = () =>
  priced({ meter: "DDoS Network Protection plan", priceId: "ddos-plan", quantity: 1 });

export const privateEndpoint: Rule = (r, ctx) => {
  const count = ctx.ofType(sdkTypeOf(r)).length;
  return priced(
    { meter: "Private endpoint", priceId: "private-endpoint", quantity: H },
    {
      meter: `Data processed (share of ${ctx.usage.privateLinkGbPerMonth} GB over ${count} endpoints)`,
      priceId: "private-endpoint-data",
      quantity: ctx.usage.privateLinkGbPerMonth / count,
    },
  );
};

/**
 * The public IPs an Application Gateway v2 uses on its frontends: their ids, and their URNs from the gateway's property
 * dependencies (a first preview, or an export of one, does not know the ids of IPs still to be created).
 */
const gatewayV2PublicIps = (ctx: Parameters<Rule>[1]): Set<string> => {
  const gateways = ctx
    .ofType(`${AN}:network:ApplicationGateway`)
    .filter((g) => /_v2$/.test(str(g.inputs, "sku.tier") ?? str(g.inputs, "sku.name") ?? ""));
  const ids = gateways
    .flatMap(
      (g) => (at(g.inputs, "frontendIPConfigurations") as { publicIPAddress?: { id?: string } }[] | undefined) ?? [],
    )
    .map((f) => f.publicIPAddress?.id)
    .filter((x): x is string => typeof x === "string");
  const urns = gateways.flatMap((g) => g.propertyDependencies.frontendIPConfigurations ?? []);
  return new Set([...ids, ...urns]);
};

export const publicIp: Rule = (r, ctx) => {
  const sku = str(r.inputs, "sku.name") ?? "Basic";
  if (sku !== "Standard" || str(r.inputs, "sku.tier") === "Global")
    return notEstimated(
      `public IP ${sku}/${str(r.inputs, "sku.tier") ?? ""} has no price row (Standard regional only)`,
    );
  // An Application Gateway v2's fixed price "also includes the cost associated with the public IP attached to" it
  // (learn.microsoft.com/azure/application-gateway/understanding-pricing, "Fixed Costs"): its IP is not billed again.
  const used = gatewayV2PublicIps(ctx);
  const ofGateway = used.has(armIdOf(r) ?? "") || used.has(r.urn);
  const lines: LineSpec[] = [
    ofGateway
      ? {
          meter: "Public IP, Standard static (included in the Application Gateway v2's fixed price)",
          priceId: "public-ip-static",
          quantity: 0,
        }
      : { meter: "Public IP, Standard static", priceId: "public-ip-static", quantity: H },
  ];
  if (str(r.inputs, "ddosSettings.protectionMode") === "Enabled")
    lines.push({ meter: "DDoS IP Protection", priceId: "ddos-ip-protection", quantity: 1 });
  return priced(...lines);
};

export const privateDnsZone: Rule = () =>
  priced({ meter: "Private DNS zone", priceId: "private-dns-zone", quantity: 1 });

export const natGateway: Rule = () => priced({ meter: "NAT gateway", priceId: "nat-gateway", quantity: H });

/**
 * Application Gateway v2: fixed gateway hours plus capacity units. Each reserved instance (fixed capacity or the
 * autoscale minimum) is billed as at least 10 capacity units
 * (https://learn.microsoft.com/azure/application-gateway/understanding-pricing).
 */
export const applicationGateway: Rule = (r, ctx) => {
  const tier = str(r.inputs, "sku.tier") ?? str(r.inputs, "sku.name");
  if (tier !== "WAF_v2" && tier !== "Standard_v2")
    return notEstimated(`Application Gateway ${tier ?? "?"} has no price row (WAF_v2 and Standard_v2 only)`);
  const minInstances = num(r.inputs, "autoscaleConfiguration.minCapacity") ?? num(r.inputs, "sku.capacity") ?? 0;
  const cu = Math.max(ctx.usage.appGatewayCapacityUnits, minInstances * 10);
  // Under a DDoS Network Protection plan the WAF is not charged: WAF_v2 bills at the Standard_v2 rates
  // (understanding-pricing, Example 6). The plan covers the gateway when the stack's virtual network carries one
  // (enableDdosProtection with a plan: the platform has one VNet) and the gateway's public IP inherits from it.
  const pipIds = (
    (at(r.inputs, "frontendIPConfigurations") as { publicIPAddress?: { id?: string } }[] | undefined) ?? []
  )
    .map((f) => f.publicIPAddress?.id)
    .filter((x): x is string => x !== undefined);
  // A public IP inherits from its virtual network unless it says otherwise (Enabled: IP Protection; Disabled: none).
  const inherits = ctx
    .ofType(`${AN}:network:PublicIPAddress`)
    .filter((p) => pipIds.includes(armIdOf(p) ?? ""))
    .every(
      (p) => (str(p.inputs, "ddosSettings.protectionMode") ?? "VirtualNetworkInherited") === "VirtualNetworkInherited",
    );
  const vnetPlan = ctx
    .ofType(`${AN}:network:VirtualNetwork`)
    .some((v) => at(v.inputs, "enableDdosProtection") === true && str(v.inputs, "ddosProtectionPlan.id") !== undefined);
  const plan = tier === "WAF_v2" && inherits && vnetPlan;
  const standard = tier === "Standard_v2" || plan;
  const [fixed, unit] = standard ? ["appgw-standard-v2", "appgw-standard-v2-cu"] : ["appgw-waf-v2", "appgw-waf-v2-cu"];
  // Stopped off hours (olap.pauseSchedule.alsoStop): both parts are billed while it is "provisioned and available
  // for processing requests" (understanding-pricing), i.e. the hours it runs.
  const schedule = stoppingSchedule(r, ctx);
  const hours = schedule ? schedule.runningHoursPerMonth : H;
  const when = schedule ? `, ${Math.round(hours)} h/month running (stopped off hours: ${schedule.label})` : "";
  const note = plan
    ? "WAF_v2 at Standard_v2 rates: the DDoS Network Protection plan on the stack's VNet covers it"
    : undefined;
  return priced(
    { meter: `${tier} gateway${when}`, priceId: fixed, quantity: hours, note },
    {
      meter: `Capacity units (${cu} CU average, ≥ 10 per reserved instance)${when}`,
      priceId: unit,
      quantity: cu * hours,
      note,
    },
  );
};
