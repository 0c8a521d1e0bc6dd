// gated: a trunk on the features whose hidden units are multiplied by sigmoid gates computed from
// the descriptor (task-conditioned multiplicative gating). One single-layer MLP per hidden layer
// (the gates act between layers), the output layer, then one gate network for all layers.
import * as tf from '@tensorflow/tfjs';
import type { Grads, Want } from '../net.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

interface Cache extends PartsCache {
  /** Each layer's output before gating, and the gates. */
  acts: tf.Tensor[];
  gates: tf.Tensor[];
}

export class GatedNet extends ConditionedArch {
  constructor(cfg: ArchConfig) {
    super(cfg);
    let inDim = cfg.featureDim;
    for (const h of cfg.hidden) {
      this.part({ inDim, hidden: [], outDim: h, ensemble: this.E, outActivation: 'relu' }, 'trunk');
      inDim = h;
    }
    this.part({ inDim, hidden: [], outDim: cfg.outDim, ensemble: this.E }, 'head');
    this.part({ inDim: this.condDim, hidden: [], outDim: cfg.hidden.reduce((a, b) => a + b, 0), ensemble: this.E, outActivation: 'sigmoid' }, 'head');
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: Cache } {
    const n = this.cfg.hidden.length;
    const gate = this.fwd(params, n + 1, this.cond(x)); // [E, B, sum h]
    const gates = tf.split(gate.y, this.cfg.hidden, 2);
    const caches: unknown[] = [];
    const acts: tf.Tensor[] = [];
    let h = this.features(x);
    for (let l = 0; l < n; l++) {
      const layer = this.fwd(params, l, h);
      caches.push(layer.cache);
      acts.push(layer.y);
      h = tf.mul(layer.y, gates[l]);
    }
    const out = this.fwd(params, n, h);
    return { y: out.y, cache: { x, caches: [...caches, out.cache, gate.cache], acts, gates } };
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as Cache;
    const n = this.cfg.hidden.length;
    const out = this.bwd(params, c, n, dy, true, want);
    const layers: Grads[] = new Array(n);
    const dGates: tf.Tensor[] = new Array(n);
    let dh = out.dx!;
    for (let l = n - 1; l >= 0; l--) {
      // h_{l+1} = act_l * gate_l
      dGates[l] = tf.mul(dh, c.acts[l]);
      layers[l] = this.bwd(params, c, l, tf.mul(dh, c.gates[l]), l > 0 || want.dx, want);
      dh = layers[l].dx!;
    }
    const gate = this.bwd(params, c, n + 1, tf.concat(dGates, 2), want.dx, want);
    return this.grads(want, c.x.shape[0], [...layers, out, gate], [[this.featureCol, layers[0].dx], [this.condCol, gate.dx]]);
  }
}
