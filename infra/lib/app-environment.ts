// The TRIBUTARY_* variables every application function needs for shared/src/config/config.ts (bucket
// names, key id, user pool ids, …). A construct that creates a resource the application reads calls
// set(); a construct that creates an application function calls apply(fn). Either order works: set()
// reaches functions applied earlier, apply() gives a function everything set so far.
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';

export class AppEnvironment {
  private readonly values = new Map<string, { value: string; except: readonly LambdaFunction[] }>();
  private readonly functions: LambdaFunction[] = [];

  /**
   * `except`: functions that must not get this variable, e.g. the function whose own ARN it is (a
   * function's environment cannot reference the function itself: CloudFormation reports a cycle).
   */
  set(name: `TRIBUTARY_${string}`, value: string, { except = [] }: { except?: readonly LambdaFunction[] } = {}): void {
    this.values.set(name, { value, except });
    for (const fn of this.functions) if (!except.includes(fn)) fn.addEnvironment(name, value);
  }

  apply(fn: LambdaFunction): void {
    this.functions.push(fn);
    for (const [name, { value, except }] of this.values) if (!except.includes(fn)) fn.addEnvironment(name, value);
  }
}
