// door-open: pull a cupboard door open by its handle to a target angle.
//
// The door of door.ts (shared with door-close): 16 cm wide, its top 9 cm above the table, facing
// the robot, on a revolute joint with a vertical axis at its +y edge, 0 (closed) to 1.6 rad toward
// the robot, damped; a handle bar 4 cm out from its face near the free edge. A closed gripper goes
// down between bar and face and pulls the handle along its arc.
//
// Randomised at every reset: the door's origin at x in [0.1, 0.2] m, y in [-0.1, 0.1] m, its yaw in
// [-0.3, 0.3] rad; the target angle in [0.9, 1.4] rad; the door starts closed.
//
// Achieved goal: the handle bar's centre (TaskState.fixturePoint, so relabeled goals work from
// stored observations). Desired goal: where it is with the door at the target angle. Success: the
// handle within 3 cm of it (the handle is 13.5 cm from the hinge: about 0.22 rad of door angle;
// Meta-World's door-open allows 8 cm along one axis). Time limit 100 control steps (4 s). dense-v1:
// 0.3 reach (the gripper to the gap behind the handle) + 0.7 progress (the share of the distance to
// the target covered, of the handle's whole path there), 1 on success.
import { dist3, wrapAngle } from '../math.ts';
import type { TaskDefinition, TaskState } from '../task.ts';
import { DOOR, DOOR_X, DOOR_Y, DOOR_YAW, HANDLE, HINGE, HOOK, doorExpert } from './door.ts';

const TOLERANCE = 0.03;
const TARGET: [number, number] = [0.9, 1.4];

/** The door angle at which the handle is at p (env frame): the handle's bearing from the hinge, less its bearing when closed. */
function angleOf(s: TaskState, p: ArrayLike<number>): number {
  const hinge = s.fixturePoint(HINGE);
  const c = Math.cos(s.fixtureYaw);
  const sn = Math.sin(s.fixtureYaw);
  const dx = p[0] - hinge[0];
  const dy = p[1] - hinge[1];
  const lx = dx * c + dy * sn;
  const ly = -dx * sn + dy * c;
  // Positive angles turn the door clockwise seen from above (the joint's axis is -z).
  return wrapAngle(Math.atan2(HANDLE[1] - HINGE[1], HANDLE[0] - HINGE[0]) - Math.atan2(ly, lx));
}

const doorOpen: TaskDefinition = {
  name: 'door-open',
  description:
    'Pull a door open by its handle to a target angle. Door at x in [0.1, 0.2] m, y in [-0.1, 0.1] m, yaw in [-0.3, 0.3] rad, closed, hinged on a vertical axis; target angle in [0.9, 1.4] rad; success when the handle is within 3 cm of where it is at the target angle.',
  maxSteps: 100,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
  fixture: DOOR,
  goalColor: '#a3be8c',
  initializeEpisode(ctx) {
    const [x, y] = ctx.samplePosition({ x: DOOR_X, y: DOOR_Y });
    ctx.placeFixture([x, y, 0], ctx.rng.uniform(-DOOR_YAW, DOOR_YAW));
    ctx.setGoal(ctx.fixturePoint(HANDLE, 0, ctx.rng.uniform(TARGET[0], TARGET[1])));
  },
  achievedGoal: (s) => s.fixturePoint(HANDLE, 0),
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(10 * dist3(s.tcp, s.fixturePoint(HOOK, 0)));
    const progress = Math.max(0, 1 - dist3(achieved, s.goal) / dist3(s.fixturePoint(HANDLE), s.goal));
    return 0.3 * reachR + 0.7 * progress;
  },
  expert: doorExpert(HOOK, (s) => angleOf(s, s.goal)),
};

/** Geometry the tests check against. */
export const DOOR_OPEN = { TOLERANCE, TARGET, HANDLE, HOOK, angleOf } as const;

export default doorOpen;
