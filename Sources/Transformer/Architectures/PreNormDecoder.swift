import Foundation

/// The pre-norm decoder block (GPT-2, GPT-NeoX, Llama, Gemma-2), as each architecture describes it once
/// for both the inference pass (`infer`, PreNormInference.swift) and the training pass (`step`,
/// PreNormTraining.swift): a fused `[Q | K | V]` projection (grouped-query allowed), optional
/// biases and an MLP that is either two layers (`act(x·W1ᵀ)·W2ᵀ`) or gated
/// (`(act(x·Wgᵀ) ∘ x·Wuᵀ)·W2ᵀ`, gate and up fused); LayerNorm or RMSNorm; optional rotary
/// embedding and parallel residual. Each architecture supplies its `Shape` (with per-layer
/// attention shapes), its parameters as pointers (`Weights`) and its `Embeddings`.
///
/// Block, residual and output head, with `x` the residual stream:
///
///     sequential (GPT-2, Llama):  m = x + Wo·attn(n1 x);  x' = m + mlp(n2 m)
///     parallel (NeoX):            x' = x + Wo·attn(n1 x) + mlp(n2 x)
///     sandwich (Gemma-2):         m = x + p1(Wo·attn(n1 x));  x' = m + p2(mlp(n2 m))
///     logits = head · nf x_L      (Gemma-2: cap · tanh(logits / cap))
///
/// Gemma-2's attention soft-cap and sliding windows live in the per-layer `AttentionShape`,
/// its embedding scale in its `Embeddings`.
enum PreNormDecoder {
    /// LayerNorm (weight and bias) or RMSNorm (`x/rms(x) · (offset + weight)`, no bias).
    enum Norm {
        case layerNorm
        case rms(offset: Float)
    }

    struct Shape {
        var hidden: Int
        var intermediate: Int
        var vocabulary: Int
        var norm: Norm
        var eps: Float
        var activation: Activation
        /// Gated MLP: the up projection is `[gate | up]`, `2 × intermediate` wide.
        var gated: Bool
        var parallelResidual: Bool
        /// Applied to the query and key heads when present.
        var rotary: Rotary?
        /// One per layer (GPT-2 may scale each layer's scores differently; Gemma-2 alternates
        /// sliding and global layers).
        var attention: [AttentionShape]
        /// Norms after the attention and MLP branches too (Gemma-2's sandwich), sequential
        /// residual only.
        var postNorms = false
        /// `cap · tanh(logits / cap)` on the output logits, when set.
        var finalSoftCap: Float? = nil
    }

    /// Pointers to one block's parameters, or to their gradients in a buffer laid out like the
    /// parameter arena. Fused parameters (`[Q | K | V]`, `[gate | up]` and their biases) are
    /// named by their first part: the parts lie one after another in the arena.
    struct Block {
        var norm1Weight, qkvWeight, outWeight, norm2Weight, upWeight, downWeight: UnsafeMutablePointer<Float>
        var norm1Bias, qkvBias, outBias, norm2Bias, upBias, downBias: UnsafeMutablePointer<Float>?
        /// The sandwich's norms after the attention and MLP branches (RMSNorm weights).
        var postAttentionNormWeight, postMLPNormWeight: UnsafeMutablePointer<Float>?
        /// LoRA adapters on the block's products (LowRankAdapters.swift), when a model wraps it.
        var adapters: BlockAdapters?

        /// `names` holds the twelve parameter names in the order norm1 weight, norm1 bias, qkv
        /// weight, qkv bias, out weight, out bias, norm2 weight, norm2 bias, up weight, up bias,
        /// down weight, down bias; nil for a bias the model does not have. `postNorms` names
        /// the sandwich's two extra norm weights.
        init(_ store: ParameterStore, in buffer: UnsafeMutablePointer<Float>, names: [String?],
             postNorms: (attention: String, mlp: String)? = nil) {
            precondition(names.count == 12)
            let p = names.map { $0.map { store.pointer($0, in: buffer) } }
            (norm1Weight, qkvWeight, outWeight, norm2Weight, upWeight, downWeight) = (p[0]!, p[2]!, p[4]!, p[6]!, p[8]!, p[10]!)
            (norm1Bias, qkvBias, outBias, norm2Bias, upBias, downBias) = (p[1], p[3], p[5], p[7], p[9], p[11])
            postAttentionNormWeight = postNorms.map { store.pointer($0.attention, in: buffer) }
            postMLPNormWeight = postNorms.map { store.pointer($0.mlp, in: buffer) }
        }
    }

    struct Weights {
        var blocks: [Block]
        var finalNormWeight, head: UnsafeMutablePointer<Float>
        var finalNormBias: UnsafeMutablePointer<Float>?
    }

    /// What an architecture does with its embeddings: `embed` writes the input rows `x`
    /// (`[tokens, hidden]`) from tokens and positions (within each sequence); `embedBackward`
    /// adds the gradient `dx` of those rows into the embedding gradients.
    struct Embeddings {
        var embed: (_ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>, _ count: Int, _ x: UnsafeMutablePointer<Float>) -> Void
        var embedBackward: (_ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>, _ count: Int, _ dx: UnsafePointer<Float>) -> Void

        /// A token table alone (no position table), its rows multiplied by `scale`: rows
        /// gathered forward, gradients scattered into the table's gradient (when `gradients`
        /// is given).
        static func tokenTable(_ store: ParameterStore, _ name: String, width d: Int, scale: Float = 1,
                               gradients: UnsafeMutablePointer<Float>?) -> Embeddings {
            let table = store.pointer(name)
            let dTable = gradients.map { store.pointer(name, in: $0) }
            return Embeddings(
                embed: { tokens, _, count, x in Embedding.gather(table, indices: tokens, count: count, width: d, into: x, scale: scale) },
                embedBackward: { tokens, _, count, dx in
                    guard let dTable else { return }
                    Embedding.scatterAdd(dx, indices: tokens, count: count, width: d, into: dTable, scale: scale)
                })
        }
    }
}
