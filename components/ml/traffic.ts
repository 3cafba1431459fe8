/**
 * The scoring endpoint's traffic split, owned by the ML release pipeline (`az ml online-endpoint update --traffic`,
 * docs/ml-operations.md), sent back to Azure as it is live on every update of the endpoint. An endpoint update replaces
 * the split with the one it carries (the CLI's `--traffic "green=100"` leaves blue at 0 %; an SDK update sending an
 * empty split left every deployment at 0 %: genaiops-promptflow-template#182; no Microsoft page says what an update
 * without one does), so one carrying the split Pulumi last recorded would undo the pipeline's last shift.
 * `ignoreChanges` kept that recorded split, which is the live one only after `up --refresh`; reading it makes a plain
 * `pulumi up` as safe. A shift made between the read and the endpoint's update is still undone: releases and deploys do
 * not run at the same time (docs/ml-operations.md).
 */
import * as ml from "@pulumi/azure-native/machinelearningservices";
import * as pulumi from "@pulumi/pulumi";
import { deployedOrNone } from "../shared";

/** The split properties of an endpoint (percentages by deployment name). */
export interface TrafficSplit {
  readonly traffic?: Record<string, number>;
  readonly mirrorTraffic?: Record<string, number>;
}

/** The split a deployed endpoint reports, without the empty maps of an endpoint with no deployment (pure). */
export function trafficOf(properties: TrafficSplit | undefined): TrafficSplit {
  const nonEmpty = (m: Record<string, number> | undefined) => (m && Object.keys(m).length > 0 ? { ...m } : undefined);
  const traffic = nonEmpty(properties?.traffic);
  const mirrorTraffic = nonEmpty(properties?.mirrorTraffic);
  return { ...(traffic ? { traffic } : {}), ...(mirrorTraffic ? { mirrorTraffic } : {}) };
}

/**
 * The live split of the endpoint `names` designates (its name, workspace and resource group), or none when it does not
 * exist yet (a new stack: nothing to keep). While the names are unknown (a first preview: the suffix is random) nothing
 * is read, as nothing can be deployed under them. A read that fails for another reason stops the program: sending no
 * split would take the scoring traffic off every deployment.
 */
export function liveTraffic(
  names: pulumi.Output<[string, string, string]>,
  parent: pulumi.Resource,
): pulumi.Output<TrafficSplit> {
  return names.apply(async ([endpointName, workspaceName, resourceGroupName]) => {
    try {
      const deployed = await deployedOrNone(() =>
        ml.getOnlineEndpoint({ endpointName, workspaceName, resourceGroupName }, { parent }),
      );
      return trafficOf(deployed?.properties);
    } catch (error) {
      throw new pulumi.RunError(
        `the scoring endpoint '${endpointName}': its live traffic split could not be read (${String(error)}); an update ` +
          "without it would take the scoring traffic off every deployment, so nothing is sent: run again once Azure " +
          `answers (\`az ml online-endpoint show -g ${resourceGroupName} -w ${workspaceName} -n ${endpointName} --query traffic\`).`,
      );
    }
  });
}
