// Physical constants of the simulator: timing, workspace, robot geometry. One place, so the README
// table and the code cannot disagree. Units: metres, seconds, kilograms, newtons. World frame: z up,
// table top at z = 0, each env slot has its own origin (see vec-env.ts).

/**
 * Physics step. In a peg-in-hole probe (16 envs, 50 seeded trials per setting) 1/250 s held the
 * grasp at every clearance from 3 mm down to 0.5 mm per side; 1/50 s steps did not.
 */
export const PHYSICS_DT = 1 / 250;
/** Physics substeps per control step: 10 x 4 ms = 40 ms, i.e. 25 Hz control. */
export const SUBSTEPS = 10;
export const CONTROL_DT = PHYSICS_DT * SUBSTEPS;
/**
 * Rapier's solver iterations per physics step (its internal substeps); the solver is about half of
 * a step's time. 3 measured 1.08-1.24x faster than 4 on every task (16 envs, interleaved), with
 * every expert still at 98-100% over 100 episodes, held blocks squeezed as before (gap 37.9-39.1 mm
 * for a 40 mm block, both) and every joint-limit test passing; 2 let a revolute limit give way.
 */
export const SOLVER_ITERATIONS = 3;
/**
 * Contact stiffness (Rapier's integrationParameters.contact_natural_frequency). Rapier's default of
 * 30 let a 10 N grip sink the fingers 4-15 mm into a light object in our probes (contact softness
 * scales with force over mass); about 300 holds it.
 */
export const CONTACT_NATURAL_FREQUENCY = 300;
export const GRAVITY = -9.81;

/** Largest commanded displacement of the tool centre point per control step (action = +-1). */
export const ACTION_SCALE = 0.03;
/** Speed cap of the palm while it tracks its target (m/s). */
export const HAND_MAX_SPEED = 1.0;
/** Time constant of the palm's approach to its target (s): it slows down smoothly near it. */
export const HAND_TRACKING_TAU = 0.02;
/** Largest force the palm's controller applies (N): it presses no harder than this. */
export const HAND_MAX_FORCE = 25;
/** How far the palm's target may run ahead of the palm when something blocks it (m). */
export const HAND_MAX_LEAD = 0.04;

/** Bounds of the tool centre point (between the finger pads), env frame. */
export const WORKSPACE = {
  min: [-0.3, -0.3, 0.03] as const,
  max: [0.3, 0.3, 0.35] as const,
};
/** An object outside these bounds (env frame) has left the workspace: the env is reset. */
export const OBJECT_BOUNDS = {
  min: [-0.7, -0.7, -0.15] as const,
  max: [0.7, 0.7, 1.0] as const,
};

/**
 * Where a task may put objects, its fixture's origin and its goal at a reset (env frame): over the
 * table top, up to half a metre above it. The hand reaches less (WORKSPACE): a goal or object
 * beyond it is for tasks that slide things out of reach.
 */
export const PLACEMENT_BOUNDS = {
  min: [-0.5, -0.5, 0] as const,
  max: [0.5, 0.5, 0.5] as const,
};
/** How deep (m) placed objects may overlap the table, each other or the fixture at a reset. */
export const PLACEMENT_TOLERANCE = 0.002;

export const TABLE = { halfExtents: [0.5, 0.5, 0.02] as const, friction: 0.5 };

/**
 * Hand geometry. The palm is a dynamic body (rotations locked, weight compensated) driven toward
 * its target by a speed- and force-limited controller; the two fingers are dynamic bodies on
 * prismatic joints to it.
 */
export const HAND = {
  palmHalf: [0.02, 0.062, 0.012] as const,
  fingerHalf: [0.01, 0.006, 0.025] as const,
  /** Tool centre point (TCP) sits at the fingers' centre, this far below the palm centre. */
  tcpBelowPalm: 0.037,
  /** Each finger's inner face travels from 0 (closed) to this distance from the centre line. */
  fingerTravel: 0.045,
  fingerMass: 0.05,
  fingerFriction: 1.0,
  /** Squeeze force of a stalled finger at full close command (N). */
  gripForce: 10,
  /** Finger speed at full command (m/s); the force-based motor's damping is gripForce / this. */
  fingerSpeed: 0.1,
  palmMass: 0.5,
};

/** Arm: a 6R arm posed by analytic inverse kinematics from the palm position (see ik.ts). */
export const ARM = {
  base: [-0.62, 0, 0] as const,
  shoulderHeight: 0.3,
  upperArm: 0.52,
  forearm: 0.52,
  /** Wrist flange, straight above the palm centre. */
  wristAbovePalm: 0.1,
  linkRadius: 0.035,
};

/** Distance between env slots in the shared world: far enough that no two slots ever touch. */
export const SLOT_SPACING = 2.5;
