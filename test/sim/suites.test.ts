// The named task lists: mt10 in the shape of Meta-World's MT10, the held-out split (train on the
// mt10 list, test on four tasks never trained on), and `all`: every built-in task, each with a
// scripted expert. Every name in a suite is a registered task.
import { describe, expect, it } from 'vitest';
import { getTask, taskNames } from '../../sim/registry.ts';
import { SUITES, suiteNames, suiteTasks } from '../../sim/suites.ts';

describe('suites', () => {
  it('names mt4, mt10, the held-out split and all', () => {
    expect(suiteNames()).toEqual(['mt4', 'mt10', 'heldout-train', 'heldout-test', 'all']);
    expect(suiteTasks('mt10')).toEqual(['reach', 'push', 'pick-place', 'peg-insert', 'sweep-into', 'drawer-open', 'drawer-close', 'door-open', 'button-press', 'stack']);
    expect(suiteTasks('heldout-train')).toEqual(suiteTasks('mt10'));
    expect(suiteTasks('heldout-test')).toEqual(['door-close', 'window-open', 'window-close', 'lever-pull']);
  });

  it('keeps the held-out test tasks out of the training list, and together they are every built-in task', () => {
    const train = new Set(suiteTasks('heldout-train'));
    for (const t of suiteTasks('heldout-test')) expect(train.has(t)).toBe(false);
    expect([...suiteTasks('heldout-train'), ...suiteTasks('heldout-test')].sort()).toEqual([...taskNames()].sort());
  });

  it('all is every built-in task (fourteen), each with a scripted expert; every suite names registered tasks', () => {
    expect(suiteTasks('all')).toEqual(taskNames());
    expect(suiteTasks('all')).toHaveLength(14);
    for (const name of suiteNames()) {
      expect(SUITES[name].description.length).toBeGreaterThan(0);
      for (const t of suiteTasks(name)) expect(typeof getTask(t).expert).toBe('function');
    }
  });

  it('refuses an unknown suite, listing the known ones', () => {
    expect(() => suiteTasks('mt50')).toThrow('unknown suite "mt50"; known suites: mt4, mt10, heldout-train, heldout-test, all');
  });
});
