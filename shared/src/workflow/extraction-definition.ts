// The one extraction state machine definition. It lives in shared/ because both sides use it: infra/
// inlines it into the state machine at synth (with the Lambda ARNs substituted at deploy), and the local
// runner executes it in process. It is imported, so bundles carry it and nothing reads a file at run time.
import definition from './extraction.asl.json' with { type: 'json' };

/** The definition as ASL JSON text, `${…FunctionArn}` placeholders unsubstituted. */
export const EXTRACTION_DEFINITION: string = JSON.stringify(definition, null, 2);
