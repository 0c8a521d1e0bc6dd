// The observation layout (sim/layout.ts): contiguous, documented in README.md exactly as in the
// code, and version 2 keeps version 1's offsets 0-27 with their old meaning.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_JOINTS, MAX_OBJECTS, OBJECT_SLOTS, OBS, OBS_DIM, OBS_FIELDS, obsTableMarkdown } from '../../sim/layout.ts';

describe('observation layout', () => {
  it('is contiguous and covers OBS_DIM', () => {
    let next = 0;
    for (const f of OBS_FIELDS) {
      expect(f.offset).toBe(next);
      expect((OBS as Record<string, number>)[f.name]).toBe(f.offset);
      next += f.size;
    }
    expect(next).toBe(OBS_DIM);
    expect(OBS_DIM).toBe(52);
    expect(Object.keys(OBS)).toEqual(OBS_FIELDS.map((f) => f.name));
  });

  it('keeps the version-1 fields at their offsets (0-27) and appends the rest', () => {
    const v1: [string, number, number][] = [
      ['tcp', 0, 3],
      ['tcpVel', 3, 3],
      ['gripperGap', 6, 1],
      ['gripperGapVel', 7, 1],
      ['objectPos', 8, 3],
      ['objectQuat', 11, 4],
      ['objectLinvel', 15, 3],
      ['objectAngvel', 18, 3],
      ['objectRelTcp', 21, 3],
      ['fixturePos', 24, 3],
      ['timeFraction', 27, 1],
    ];
    expect(OBS_FIELDS.slice(0, v1.length).map((f) => [f.name, f.offset, f.size])).toEqual(v1);
    const v2: [string, number, number][] = [
      ['object2Pos', 28, 3],
      ['object2Quat', 31, 4],
      ['object2Linvel', 35, 3],
      ['object2Angvel', 38, 3],
      ['object2RelTcp', 41, 3],
      ['fixtureQuat', 44, 4],
      ['jointPos', 48, MAX_JOINTS],
      ['jointVel', 50, MAX_JOINTS],
    ];
    expect(OBS_FIELDS.slice(v1.length).map((f) => [f.name, f.offset, f.size])).toEqual(v2);
  });

  it('has one object slot per possible object, each laid out like the first', () => {
    expect(OBJECT_SLOTS.length).toBe(MAX_OBJECTS);
    for (const s of OBJECT_SLOTS) {
      expect(s.quat - s.pos).toBe(3);
      expect(s.linvel - s.quat).toBe(4);
      expect(s.angvel - s.linvel).toBe(3);
      expect(s.relTcp - s.angvel).toBe(3);
    }
  });

  it('is documented in README.md exactly as in the code', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(obsTableMarkdown());
  });
});
