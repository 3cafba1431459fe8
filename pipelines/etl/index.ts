// The Data Factory definitions of the nightly ETL, generated from the data model: what components/etl.ts deploys
// and pipelines/adf/ commits as JSON. Pure: the same model and options always give the same definitions.
//
//   generateAdfDefinitions(model = dataModel, options?) → { pipelines, datasets, triggers, globalParameters }
import { dataModel } from "../model";
import type { DataModel } from "../model/types";
import type { AdfDefinitions, AdfGenerationOptions } from "./contract";
import { erasurePipeline } from "./erasure";
import { datasets, extractPipeline } from "./extract";
import { extractedTables } from "./groups";
import { GLOBAL_PARAMETERS } from "./names";
import { operationsPipelines, poolTriggers } from "./operations";
import { nightlyTrigger, orchestrationPipelines } from "./orchestration";

export * from "./contract";
export { GLOBAL_PARAMETERS, MASTER_PIPELINE, PIPELINES, TRIGGERS } from "./names";

export function generateAdfDefinitions(
  model: DataModel = dataModel,
  options: AdfGenerationOptions = {},
): AdfDefinitions {
  const xs = extractedTables(model);
  return {
    pipelines: [
      ...orchestrationPipelines(xs, options),
      ...xs.map(extractPipeline),
      ...operationsPipelines(model),
      erasurePipeline(),
    ],
    datasets: datasets(),
    triggers: [nightlyTrigger(), ...poolTriggers(options)],
    globalParameters: GLOBAL_PARAMETERS,
  };
}
