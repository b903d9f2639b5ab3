import { compilePolicy, evaluate, formatDiagnostic, lintPolicy, parsePolicy } from '../../src/core/index.js';
import type { Actor, Decision, Operation, PolicyFile, RefOp, TreeOp } from '../../src/core/index.js';

export const OWNER = 'F'.repeat(40);
export const ALICE = 'A1'.repeat(20);
export const BOB = 'B0'.repeat(20);
export const CAROL = 'C2'.repeat(20);

/** Files from a compact map: path -> content. */
export function files(map: Record<string, string>): PolicyFile[] {
  return Object.entries(map).map(([path, content]) => ({ path, content }));
}

export function lint(map: Record<string, string>): string[] {
  return lintPolicy(files(map)).map(formatDiagnostic);
}

export function ref(op: RefOp, name: string, unsafeName?: boolean): Operation {
  const o: Operation = { type: 'ref', op, ref: name.startsWith('refs/') ? name : `refs/${name}` };
  if (unsafeName) o.unsafeName = true;
  return o;
}

export function tree(op: TreeOp, path: string, branch = 'refs/heads/main', unsafeName?: boolean): Operation {
  const o: Operation = { type: 'tree', op, branch, path };
  if (unsafeName) o.unsafeName = true;
  return o;
}

export function actor(userId: string, ownerId = OWNER): Actor {
  return { userId, ownerId };
}

/** Evaluates against a policy that must be clean of errors. */
export function judge(map: Record<string, string>, who: Actor, ops: Operation[]): Decision[] {
  const policy = parsePolicy(files(map));
  const errors = policy.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  if (errors.length > 0) throw new Error(`policy errors:\n${errors.join('\n')}`);
  return evaluate(compilePolicy(policy), who, ops);
}

export function allowed(map: Record<string, string>, who: Actor, ops: Operation[]): boolean[] {
  return judge(map, who, ops).map((d) => d.allowed);
}
