// The TRIBUTARY_* variables every application function needs for shared/src/config/config.ts (bucket
// names, key id, user pool ids, …). A construct that creates a resource the application reads calls
// set(); a construct that creates an application function calls apply(fn). Either order works: set()
// reaches functions applied earlier, apply() gives a function everything set so far.
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';

export class AppEnvironment {
  private readonly values = new Map<string, string>();
  private readonly functions: LambdaFunction[] = [];

  set(name: `TRIBUTARY_${string}`, value: string): void {
    this.values.set(name, value);
    for (const fn of this.functions) fn.addEnvironment(name, value);
  }

  apply(fn: LambdaFunction): void {
    this.functions.push(fn);
    for (const [name, value] of this.values) fn.addEnvironment(name, value);
  }
}
