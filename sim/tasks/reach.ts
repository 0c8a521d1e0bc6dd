// reach: bring the gripper's tool centre point to a 3D goal point.
//
// Randomised at every reset: the hand starts at x, y in [-0.1, 0.1] m, z in [0.15, 0.25] m; the
// goal is uniform in x, y in [-0.25, 0.25] m, z in [0.05, 0.30] m (env frame, table top z = 0),
// at least 10 cm from the start.
//
// Success: the tool centre point is within 5 cm of the goal (as Meta-World's reach). Time limit 50
// control steps (2 s). dense-v1: 1 - tanh(5 d), 1 on success.
import { ACTION_SCALE } from '../config.ts';
import { dist3 } from '../math.ts';
import type { TaskDefinition } from '../task.ts';

const TOLERANCE = 0.05;

const reach: TaskDefinition = {
  name: 'reach',
  description: 'Bring the gripper to a 3D goal point. Goal uniform in x, y in [-0.25, 0.25] m, z in [0.05, 0.30] m; success within 5 cm.',
  maxSteps: 50,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: false, goalInAir: true },
  goalColor: '#a3be8c',
  initializeEpisode(ctx) {
    ctx.setGoal(ctx.samplePosition({ x: [-0.25, 0.25], y: [-0.25, 0.25], z: [0.05, 0.3], awayFrom: [ctx.tcp], minDistance: 0.1, plane: 'xyz' }));
  },
  achievedGoal: (s) => s.tcp,
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    return success ? 1 : 1 - Math.tanh(5 * dist3(achieved, s.goal));
  },
  expert(s) {
    const a = [0, 0, 0, -1];
    for (let k = 0; k < 3; k++) a[k] = (s.goal[k] - s.tcp[k]) / ACTION_SCALE;
    return a;
  },
};

export default reach;
