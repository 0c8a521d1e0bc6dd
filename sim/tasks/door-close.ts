// door-close: push an open cupboard door shut.
//
// The door of door.ts (shared with door-open): 16 cm wide, its top 9 cm above the table, facing the
// robot, on a revolute joint with a vertical axis at its +y edge, 0 (closed) to 1.6 rad toward the
// robot, damped so it stays about where it is left; a handle bar 4 cm out from its face. A closed
// gripper comes down in front of the bar and pushes it along its arc until the door is shut.
//
// Randomised at every reset: the door's origin at x in [0.1, 0.2] m, y in [-0.1, 0.1] m, its yaw in
// [-0.3, 0.3] rad; the door starts open at an angle in [0.8, 1.4] rad.
//
// Achieved goal: the handle bar's centre (TaskState.fixturePoint). Desired goal: where it is with
// the door closed. Success: the handle within 3 cm of it, i.e. the door open less than about 0.22
// rad (Meta-World's door-close allows 8 cm). Time limit 100 control steps (4 s). dense-v1: 0.3
// reach (the gripper to its spot in front of the bar) + 0.7 progress (the share of the handle's
// path from fully open covered), 1 on success.
import { dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';
import { DOOR, DOOR_X, DOOR_Y, DOOR_YAW, HANDLE, HINGE, MAX_ANGLE, PUSH, doorExpert } from './door.ts';

const TOLERANCE = 0.03;
const START: [number, number] = [0.8, 1.4];
/** The handle's distance from closed with the door fully open, at which progress is 0. */
const SPAN = 2 * Math.hypot(HANDLE[0] - HINGE[0], HANDLE[1] - HINGE[1]) * Math.sin(MAX_ANGLE / 2);

const doorClose: TaskDefinition = {
  name: 'door-close',
  description:
    'Push an open door closed. Door at x in [0.1, 0.2] m, y in [-0.1, 0.1] m, yaw in [-0.3, 0.3] rad, hinged on a vertical axis and open by an angle in [0.8, 1.4] rad; success when the handle is within 3 cm of where it is with the door closed.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: DOOR,
  goalColor: '#b48ead',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: DOOR_X, y: DOOR_Y });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-DOOR_YAW, DOOR_YAW));
    ctx.setJoint(0, ctx.rng.uniform(START[0], START[1]));
    ctx.setGoal(ctx.fixturePoint(HANDLE, 0, 0));
  },
  achievedGoal: (s) => s.fixturePoint(HANDLE, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(10 * dist3(s.tcp, s.fixturePoint(PUSH, 0)));
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / SPAN);
    return 0.3 * reachR + 0.7 * progress;
  },
  expert: doorExpert(PUSH, () => 0),
};

/** Geometry the tests check against. */
export const DOOR_CLOSE = { TOLERANCE, START, HANDLE, PUSH, SPAN } as const;

export default doorClose;
