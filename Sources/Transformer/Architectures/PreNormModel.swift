import Foundation

/// A pre-norm decoder described once for both passes: its shape (`decoderShape`), its block
/// parameters by name, resolved as pointers (`decoderWeights(in:)`, into the parameters
/// themselves or a buffer laid out like them) or as resident matrices (`residentWeights`),
/// and its embeddings. The inference pass (`preNormForward`, with a KV
/// cache) and the training pass (`preNormStep`) both read that description, so the block is
/// written once, in `PreNormDecoder`.
protocol PreNormModel: CausalLanguageModel {
    /// One pass at a time, inference or training: both share workspaces.
    var lock: NSLock { get }
    /// Activations and scratch of training passes.
    var training: TrainingWorkspace { get }
    /// Buffers and the resolved description of inference passes.
    var inference: PreNormDecoder.InferenceState { get }
    var decoderShape: PreNormDecoder.Shape { get }
    /// The block parameters, each name resolved by `resolve`.
    func decoderWeights<Matrix>(_ resolve: PreNormDecoder.WeightResolver<Matrix>) -> PreNormDecoder.WeightsOf<Matrix>
    /// The embeddings; their backward pass adds into `gradients` (a no-op when nil).
    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings
    /// The products of layer `layer` that LoRA can adapt (AdapterTargets.swift).
    func adapterTargets(layer: Int) -> [AdapterTarget]
}

extension PreNormModel {
    /// Parameter pointers into `buffer`: the fp32 parameters themselves (`parameters.base`) or
    /// their gradients. Training passes read these; the store must keep fp32 matrices.
    func decoderWeights(in buffer: UnsafeMutablePointer<Float>) -> PreNormDecoder.Weights {
        let p = parameters
        return decoderWeights(PreNormDecoder.WeightResolver(matrix: { p.pointer($0, in: buffer) }, vector: { p.pointer($0, in: buffer) }))
    }

    /// The parameters as inference reads them: matrices in the precision the store keeps them.
    var residentWeights: PreNormDecoder.ResidentWeights {
        let p = parameters
        return decoderWeights(PreNormDecoder.WeightResolver(matrix: p.matrix, vector: p.pointer))
    }

    /// `CausalLanguageModel.forward` for a pre-norm decoder: checks the batch against the
    /// model and the cache, then runs the shared inference pass under the model's lock.
    func preNormForward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try DecoderOutput.check(batch, cache: cache, info: info)
        lock.lock()
        defer { lock.unlock() }
        return PreNormDecoder.infer(batch, cache: cache, state: inference, logits: logits, hiddenStates: hiddenStates) {
            (decoderShape, residentWeights, embeddings(gradients: nil))
        }
    }

    /// Checks `batch` against the model's vocabulary and context, then runs the pass under the
    /// model's lock: with `gradients`, adds `scale` × the gradient of the summed loss into them;
    /// without, computes the loss alone.
    func preNormStep(_ batch: TrainingBatch, vocabularySize: Int, contextLength: Int,
                     gradients: UnsafeMutablePointer<Float>?, scale: Float = 1, afterLayer: ((Int) -> Void)? = nil) throws -> LossSum {
        try batch.validate(vocabularySize: vocabularySize, contextLength: contextLength)
        try TrainingChecks.requireFP32(parameters)
        lock.lock()
        defer { lock.unlock() }
        return PreNormDecoder.step(batch, shape: decoderShape, weights: decoderWeights(in: parameters.base),
                                   gradients: gradients.map { PreNormDecoder.Gradients(scale: scale, weights: decoderWeights(in: $0)) },
                                   embeddings: embeddings(gradients: gradients), workspace: training, afterLayer: afterLayer)
    }
}

/// The training methods every pre-norm decoder shares: the one training pass over its block
/// description (`preNormStep`), activation checkpointing in its workspace, and no random draws
/// (full training has no dropout). A model conforms to `TrainableModel` through this protocol
/// and adds only its initialisation and output head.
public protocol PreNormTrainableModel: TrainableModel {
    /// The shared training pass over this model, bounded by its vocabulary and context.
    var preNormTraining: PreNormTrainingPass { get }
}

/// A pre-norm decoder's training pass and workspace (`PreNormTrainableModel`).
public struct PreNormTrainingPass {
    let step: (TrainingBatch, UnsafeMutablePointer<Float>?, Float, ((Int) -> Void)?) throws -> LossSum
    let workspace: TrainingWorkspace

    init<Model: PreNormModel>(_ model: Model, vocabularySize: Int, contextLength: Int) {
        step = { try model.preNormStep($0, vocabularySize: vocabularySize, contextLength: contextLength, gradients: $1, scale: $2, afterLayer: $3) }
        workspace = model.training
    }
}

extension PreNormTrainableModel {
    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try preNormTraining.step(batch, gradients, scale, nil)
    }

    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>,
                                    afterLayer: ((Int) -> Void)?) throws -> LossSum {
        try preNormTraining.step(batch, gradients, scale, afterLayer)
    }

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try preNormTraining.step(batch, nil, 1, nil)
    }

    public func setActivationCheckpointing(_ on: Bool) { preNormTraining.workspace.checkpointActivations = on }

    /// Full training draws nothing at random (no dropout).
    public func setRandomKey(_ key: UInt64, firstRow: Int) {}
}
