// The Data Factory definitions of the nightly ETL, generated from the data model: what components/etl/ deploys
// and pipelines/adf/ commits as JSON. Pure: the same model and options always give the same definitions.
//
//   generateAdfDefinitions(model = dataModel, options?) → { pipelines, datasets, triggers, globalParameters }
import { dataModel } from "../model";
import type { DataModel } from "../model/types";
import type { AdfDefinitions, AdfGenerationOptions } from "./contract";
import { erasurePipeline, subjectErasurePipelines } from "./erasure";
import { datasets, extractPipeline } from "./extract";
import { extractedTables } from "./groups";
import { globalParametersFor, operationsPipelines, poolTriggers } from "./operations";
import { nightlyTrigger, orchestrationPipelines } from "./orchestration";
export { olapLoadSchedule, type OlapLoadSchedule } from "./orchestration";

export * from "./contract";
export {
  GLOBAL_PARAMETERS,
  MASTER_PIPELINE,
  OFF_HOURS_GLOBAL_PARAMETERS,
  OFF_HOURS_PARAMETER,
  PIPELINES,
  TRIGGERS,
} from "./names";
export { OFF_HOURS_API_VERSIONS, offHoursTargets } from "./operations";

export function generateAdfDefinitions(
  model: DataModel = dataModel,
  options: AdfGenerationOptions = {},
): AdfDefinitions {
  const xs = extractedTables(model);
  return {
    pipelines: [
      ...orchestrationPipelines(xs, options),
      ...xs.map(extractPipeline),
      ...operationsPipelines(model, options),
      erasurePipeline(),
      ...subjectErasurePipelines(model),
    ],
    datasets: datasets(),
    triggers: [nightlyTrigger(), ...poolTriggers(options)],
    globalParameters: globalParametersFor(options),
  };
}
