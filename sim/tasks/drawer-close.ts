// drawer-close: push an open drawer shut.
//
// The cabinet of cabinet.ts (shared with drawer-open): 16 cm deep, 20 cm wide, 8 cm tall, facing
// the robot; its drawer slides 0 to 14 cm on a prismatic joint with damping and friction (so it
// stays where it is left), a handle bar 4 cm out from its front. A closed gripper comes down in
// front of the bar and pushes it in.
//
// Randomised at every reset: the cabinet's centre at x in [0.05, 0.15] m, y in [-0.1, 0.1] m, its
// yaw in [-0.35, 0.35] rad; the drawer starts open by a distance in [0.07, 0.14] m.
//
// Achieved goal: the handle's centre (TaskState.fixturePoint). Desired goal: where the handle is
// with the drawer closed. Success: the handle within 2 cm of it, i.e. the drawer open less than
// 2 cm (Meta-World's drawer-close allows 5.5 cm). Time limit 100 control steps (4 s). dense-v1: 0.3
// reach (the gripper to the front of the handle bar) + 0.7 progress (the share of the 14 cm travel
// closed), 1 on success.
import { dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';
import { steer } from './steer.ts';
import { CABINET, CABINET_X, CABINET_Y, CABINET_YAW, HANDLE, MAX_OPEN, PUSH, SAFE_Z } from './cabinet.ts';

const TOLERANCE = 0.02;
/** Range of the drawer's opening at a reset (m). */
const START: [number, number] = [0.07, 0.14];

const drawerClose: TaskDefinition = {
  name: 'drawer-close',
  description:
    'Push an open drawer closed. Cabinet at x in [0.05, 0.15] m, y in [-0.1, 0.1] m, yaw in [-0.35, 0.35] rad, drawer open by 7 to 14 cm; success when the handle is within 2 cm of where it is with the drawer closed.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: CABINET,
  goalColor: '#b48ead',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: CABINET_X, y: CABINET_Y });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-CABINET_YAW, CABINET_YAW));
    ctx.setJoint(0, ctx.rng.uniform(START[0], START[1]));
    ctx.setGoal(ctx.fixturePoint(HANDLE, 0, 0));
  },
  achievedGoal: (s) => s.fixturePoint(HANDLE, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(10 * dist3(s.tcp, s.fixturePoint(PUSH, 0)));
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / MAX_OPEN);
    return 0.3 * reachR + 0.7 * progress;
  },
  // Close the fingers into a paddle, go over a spot 1 cm in front of the handle bar at a safe
  // height, down to the bar's height, then push along the drawer's axis to 1 cm past closed; if
  // the paddle leaves the bar's line, start over from above.
  expert(s, m) {
    const [tx, ty, tz] = s.tcp;
    const to = (x: number, y: number, z: number) => steer(s, x, y, z, 1);
    const push = s.fixturePoint(PUSH, 0);
    // Outward along the drawer's axis (the way it opens, toward the robot at yaw 0).
    const ox = -Math.cos(s.fixtureYaw);
    const oy = -Math.sin(s.fixtureYaw);
    const ready = [push[0] + 0.01 * ox, push[1] + 0.01 * oy];
    if (s.gripperGap > 0.01) return to(ready[0], ready[1], Math.max(tz, SAFE_Z));
    const along = (tx - push[0]) * ox + (ty - push[1]) * oy;
    const across = Math.abs((tx - push[0]) * oy - (ty - push[1]) * ox);
    if (m.pushing && across < 0.015 && along > -0.01 && tz < PUSH[2] + 0.015) {
      const left = s.jointPos[0] + 0.01;
      return to(push[0] - left * ox, push[1] - left * oy, PUSH[2]);
    }
    m.pushing = 0;
    const off = Math.hypot(tx - ready[0], ty - ready[1]);
    if (off < 0.006 && tz < SAFE_Z + 0.01) {
      if (tz < PUSH[2] + 0.005) m.pushing = 1;
      return to(ready[0], ready[1], PUSH[2]);
    }
    if (tz < SAFE_Z - 0.01 && off > 0.006) return to(tx, ty, SAFE_Z);
    return to(ready[0], ready[1], SAFE_Z);
  },
};

/** Geometry the tests check against. */
export const DRAWER_CLOSE = { TOLERANCE, START, HANDLE, PUSH } as const;

export default drawerClose;
