// Loads Rapier's WebAssembly once per flavour. Nothing else imports Rapier for its side effects:
// the module is passed to whoever builds a world (as in Rapier's own testbed), so tests and
// benchmarks can choose the flavour.
//
// Pinned at 0.19.3: 0.20 and 0.21 keep stale contact manifolds across steps (in a peg-in-hole probe
// contact distances stayed frozen over 2 cm of motion), which made grasps slip and pegs sink 1-2 cm
// into walls; 0.19.3 refreshes them (README.md, "The robot"). Only the `-compat` builds (WASM inlined
// as base64) load in Node. Default flavour `simd-compat`: it measured faster than `compat` here
// (npm run bench:sim -- --flavour compat to compare); results are bit-identical only within one
// flavour and version on one machine.
import type RAPIER_NS from '@dimforge/rapier3d-simd-compat';

export type Rapier = typeof RAPIER_NS;
export const FLAVOURS = ['simd-compat', 'compat'] as const;
export type Flavour = (typeof FLAVOURS)[number];

const loaded = new Map<Flavour, Promise<Rapier>>();

export function defaultFlavour(): Flavour {
  const forced = process.env.RRL_RAPIER;
  if (forced === undefined || forced === '') return 'simd-compat';
  if (!(FLAVOURS as readonly string[]).includes(forced)) {
    throw new Error(`RRL_RAPIER=${forced} is not a Rapier flavour; use one of: ${FLAVOURS.join(', ')}`);
  }
  return forced as Flavour;
}

export function loadRapier(flavour: Flavour = defaultFlavour()): Promise<Rapier> {
  let p = loaded.get(flavour);
  if (!p) {
    p = (async () => {
      const mod =
        flavour === 'simd-compat'
          ? await import('@dimforge/rapier3d-simd-compat')
          : ((await import('@dimforge/rapier3d-compat')) as unknown as { default: Rapier });
      const R = mod.default;
      // init() warns about a deprecated parameter form inside the package itself; silence only that.
      const warn = console.warn;
      console.warn = (...args: unknown[]) => {
        if (typeof args[0] === 'string' && args[0].includes('deprecated parameters')) return;
        warn(...args);
      };
      try {
        await R.init();
      } finally {
        console.warn = warn;
      }
      return R;
    })();
    loaded.set(flavour, p);
  }
  return p;
}
