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

    /// How a description's parameter names become storage: fp32 pointers into the parameter
    /// arena or a buffer laid out like it (training, gradients), or the weight matrices as the
    /// model keeps them (`WeightMatrix`, inference). Vectors (norm weights, biases) are fp32
    /// pointers either way.
    struct WeightResolver<Matrix> {
        var matrix: (String) -> Matrix
        var vector: (String) -> UnsafeMutablePointer<Float>
    }

    /// Pointers to one block's parameters, or to their gradients in a buffer laid out like the
    /// parameter arena; or, with `WeightMatrix` as `Matrix`, the block as inference reads it.
    /// Fused parameters (`[Q | K | V]`, `[gate | up]` and their biases) are named by their
    /// first part: the parts lie one after another in the arena.
    struct BlockOf<Matrix> {
        var qkvWeight, outWeight, upWeight, downWeight: Matrix
        var norm1Weight, norm2Weight: UnsafeMutablePointer<Float>
        var norm1Bias, qkvBias, outBias, norm2Bias, upBias, downBias: UnsafeMutablePointer<Float>?
        /// The sandwich's norms after the attention and MLP branches (RMSNorm weights).
        var postAttentionNormWeight, postMLPNormWeight: UnsafeMutablePointer<Float>?
        /// LoRA adapters on the block's products (LowRankAdapters.swift), when a model wraps it.
        var adapters: BlockAdapters?

        /// `names` holds the twelve parameter names in the order norm1 weight, norm1 bias, qkv
        /// weight, qkv bias, out weight, out bias, norm2 weight, norm2 bias, up weight, up bias,
        /// down weight, down bias; nil for a bias the model does not have. `postNorms` names
        /// the sandwich's two extra norm weights.
        init(_ resolve: WeightResolver<Matrix>, names: [String?], postNorms: (attention: String, mlp: String)? = nil) {
            precondition(names.count == 12)
            let v = names.map { $0.map(resolve.vector) }
            (norm1Weight, norm2Weight) = (v[0]!, v[6]!)
            (norm1Bias, qkvBias, outBias, norm2Bias, upBias, downBias) = (v[1], v[3], v[5], v[7], v[9], v[11])
            (qkvWeight, outWeight, upWeight, downWeight) = (resolve.matrix(names[2]!), resolve.matrix(names[4]!),
                                                            resolve.matrix(names[8]!), resolve.matrix(names[10]!))
            postAttentionNormWeight = postNorms.map { resolve.vector($0.attention) }
            postMLPNormWeight = postNorms.map { resolve.vector($0.mlp) }
        }
    }

    /// The decoder's parameters (blocks, final norm, output head) as `BlockOf` describes them.
    struct WeightsOf<Matrix> {
        var blocks: [BlockOf<Matrix>]
        var finalNormWeight: UnsafeMutablePointer<Float>
        var head: Matrix
        var finalNormBias: UnsafeMutablePointer<Float>?
    }

    /// A block as the training pass reads it: fp32 pointers (parameters or gradients).
    typealias Block = BlockOf<UnsafeMutablePointer<Float>>
    typealias Weights = WeightsOf<UnsafeMutablePointer<Float>>
    /// A block as the inference pass reads it: matrices in their resident precision.
    typealias ResidentWeights = WeightsOf<WeightMatrix>

    /// What an architecture does with its embeddings: `embed` writes the input rows `x`
    /// (`[tokens, hidden]`) from tokens and positions (within each sequence); `embedBackward`
    /// adds the gradient `dx` of those rows into the embedding gradients.
    struct Embeddings {
        var embed: (_ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>, _ count: Int, _ x: UnsafeMutablePointer<Float>) -> Void
        var embedBackward: (_ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>, _ count: Int, _ dx: UnsafePointer<Float>) -> Void

        /// A token table alone (no position table), its rows multiplied by `scale`: rows
        /// gathered forward (widened to fp32 from a bf16 table), gradients scattered into the
        /// table's gradient (when `gradients` is given; fp32 stores only).
        static func tokenTable(_ store: ParameterStore, _ name: String, width d: Int, scale: Float = 1,
                               gradients: UnsafeMutablePointer<Float>?) -> Embeddings {
            let table = store.matrix(name)
            let dTable = gradients.map { store.pointer(name, in: $0) }
            return Embeddings(
                embed: { tokens, _, count, x in table.gatherRows(indices: tokens, count: count, width: d, into: x, scale: scale) },
                embedBackward: { tokens, _, count, dx in
                    guard let dTable else { return }
                    Embedding.scatterAdd(dx, indices: tokens, count: count, width: d, into: dTable, scale: scale)
                })
        }
    }
}
