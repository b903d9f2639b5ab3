import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forge } from '../support/forge.js';

let forge: Forge;
beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
});
afterAll(() => forge?.cleanup());

describe('smoke', () => {
  it('owner pushes main, alice is refused', () => {
    const o = forge.clone('owner');
    o.write('README', 'hi\n').commit('first');
    const r = o.push('HEAD:refs/heads/main');
    console.log(r);
    expect(r.code).toBe(0);
    const a = forge.clone('alice');
    a.write('x', 'x').commit('x');
    const r2 = a.push('HEAD:refs/heads/main');
    console.log(r2);
    expect(r2.code).not.toBe(0);
  });
});
