// drawer-open: pull a drawer out of a cabinet by its handle.
//
// The cabinet of cabinet.ts (shared with drawer-close): 16 cm deep, 20 cm wide, 8 cm tall, facing
// the robot; its drawer slides out 0 to 14 cm on a prismatic joint with damping and friction, a
// handle bar 4 cm out from its front. A closed gripper goes down between bar and front and pulls.
//
// Randomised at every reset: the cabinet's centre at x in [0.05, 0.15] m, y in [-0.1, 0.1] m, its
// yaw in [-0.35, 0.35] rad; the drawer starts closed.
//
// Achieved goal: the handle's centre (TaskState.fixturePoint, so relabeled goals work from stored
// observations). Desired goal: where the handle is with the drawer open by 12 cm. Success: the
// handle within 3 cm of it, as in Meta-World's drawer-open: the drawer open 9 cm or more (fully
// open, 14 cm, counts). Time limit 100 control steps (4 s). dense-v1: 0.3 reach (the gripper to the
// gap behind the handle) + 0.7 progress (the share of the 12 cm done), 1 on success.
import { ACTION_SCALE } from '../config.ts';
import { dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';
import { CABINET, CABINET_X, CABINET_Y, CABINET_YAW, HANDLE, HOOK, SAFE_Z } from './cabinet.ts';

const OPEN = 0.12;
const TOLERANCE = 0.03;

const drawerOpen: TaskDefinition = {
  name: 'drawer-open',
  description:
    'Pull a drawer open by its handle. Cabinet at x in [0.05, 0.15] m, y in [-0.1, 0.1] m, yaw in [-0.35, 0.35] rad, drawer closed; success when the handle is within 3 cm of where it is with the drawer open 12 cm.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: CABINET,
  goalColor: '#a3be8c',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: CABINET_X, y: CABINET_Y });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-CABINET_YAW, CABINET_YAW));
    ctx.setGoal(ctx.fixturePoint(HANDLE, 0, OPEN));
  },
  achievedGoal: (s) => s.fixturePoint(HANDLE, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(10 * dist3(s.tcp, s.fixturePoint(HOOK, 0)));
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / OPEN);
    return 0.3 * reachR + 0.7 * progress;
  },
  // Close the fingers into a paddle, go over the gap between handle and front at a safe height,
  // down into it, then pull along the drawer's axis until the handle is past the goal; if the
  // paddle comes out of the gap, start over from above.
  expert(s, m) {
    const [tx, ty, tz] = s.tcp;
    const to = (x: number, y: number, z: number) => [(x - tx) / ACTION_SCALE, (y - ty) / ACTION_SCALE, (z - tz) / ACTION_SCALE, 1];
    const hook = s.fixturePoint(HOOK, 0);
    // Fingers still open: close them while travelling over the hook at a safe height.
    if (s.gripperGap > 0.01) return to(hook[0], hook[1], Math.max(tz, SAFE_Z));
    const off = Math.hypot(tx - hook[0], ty - hook[1]);
    if (m.hooked && off < 0.025 && tz < HOOK[2] + 0.015) {
      // Pull: aim 1 cm past the goal along the opening direction, holding the hook's line.
      const yaw = s.fixtureYaw;
      const left = Math.max(0, OPEN + 0.01 - s.jointPos[0]);
      return to(hook[0] - Math.cos(yaw) * (left + 0.01), hook[1] - Math.sin(yaw) * (left + 0.01), HOOK[2]);
    }
    m.hooked = 0;
    if (off < 0.004 && tz < SAFE_Z + 0.01) {
      if (tz < HOOK[2] + 0.005) m.hooked = 1;
      return to(hook[0], hook[1], HOOK[2]);
    }
    if (tz < SAFE_Z - 0.01 && off > 0.004) return to(tx, ty, SAFE_Z);
    return to(hook[0], hook[1], SAFE_Z);
  },
};

/** Geometry the tests check against. */
export const DRAWER = { OPEN, TOLERANCE, HANDLE, HOOK } as const;

export default drawerOpen;
