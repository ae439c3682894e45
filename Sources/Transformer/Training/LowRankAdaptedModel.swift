import Foundation

/// A pre-norm model with LoRA adapters on some of its products: the base weights frozen, only
/// the adapters trained. Its `parameters` are the adapters alone, named as PEFT saves them
/// (`base_model.model.<module>.lora_A.weight` `[rank, in]` and `.lora_B.weight`
/// `[out, rank]`), so the trainer, AdamW, gradient clipping, checkpoints and exact resume work
/// on the adapters unchanged, and the saved `adapter_model.safetensors` is what
/// `peft.PeftModel.from_pretrained` loads.
///
/// Both passes run the base's own block (`PreNormDecoder`) with the adapters attached to its
/// weights; no adapter is merged, so the base stays as loaded. Inference reads the base in the
/// precision it was loaded in (bf16 matrices included), and so does training: a bf16 base is
/// multiplied in bf16 both ways (forward and the input gradients), with activations, adapters
/// and their gradients in fp32. Merging needs an fp32 base.
public final class LowRankAdaptedModel: TrainableModel, @unchecked Sendable {
    public let base: any CausalLanguageModel
    public let configuration: LoRAConfiguration
    /// The adapters (only they are trained).
    public let parameters: ParameterStore
    /// The adapted modules' paths, one entry per module (e.g. `model.layers.0.self_attn.q_proj`).
    public let adaptedModules: [String]
    let decoder: any PreNormModel
    /// Per layer, the adapted targets in arena order.
    let targets: [[AdapterTarget]]
    let lock = NSLock()
    let training = TrainingWorkspace()
    /// The key of the next training passes' dropout masks (`setRandomKey`).
    private var randomKey: UInt64 = 0
    /// The global token row of the batch's first row (`setRandomKey`).
    private var randomFirstRow = 0
    let inference = PreNormDecoder.InferenceState()

    public var info: ModelInfo { base.info }

    /// The module names `--lora-targets` can name for `model` (e.g. `q_proj`), in block order.
    public static func targetNames(_ model: any CausalLanguageModel) -> [String] {
        guard let decoder = model as? any PreNormModel else { return [] }
        var names: [String] = []
        for t in decoder.adapterTargets(layer: 0) where !names.contains(t.name) { names.append(t.name) }
        return names
    }

    /// Wraps `base` with new adapters (not yet initialised: call `initializeParameters` or load
    /// them).
    ///
    /// - Throws: `ModelError.input` when the architecture cannot take adapters, the settings
    ///   are invalid, or a target names no module of the model.
    public init(base: any CausalLanguageModel, configuration: LoRAConfiguration) throws {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ModelError.input(problems.joined(separator: "; ")) }
        guard let decoder = base as? any PreNormModel else {
            throw ModelError.input("model_type \(base.info.modelType) cannot take LoRA adapters")
        }
        let available = Self.targetNames(base)
        let all = configuration.targets == [LoRAConfiguration.allLinear]
        if !all, let unknown = configuration.targets.first(where: { !available.contains($0) }) {
            throw ModelError.input("--lora-targets names \(unknown), which is not a module of this \(base.info.modelType) model (its modules: \(available.joined(separator: ", ")), or \(LoRAConfiguration.allLinear))")
        }
        self.base = base
        self.decoder = decoder
        self.configuration = configuration
        targets = (0..<base.info.layers).map { l in
            decoder.adapterTargets(layer: l).filter { all || configuration.targets.contains($0.name) }
        }
        let r = configuration.rank
        var specs: [ParameterSpec] = []
        for layer in targets {
            for t in layer {
                specs.append(ParameterSpec(Self.tensorName(t.module, "lora_A"), [r, t.inWidth]))
                specs.append(ParameterSpec(Self.tensorName(t.module, "lora_B"), [t.width, r], layout: t.layout))
            }
        }
        adaptedModules = targets.flatMap { $0.map(\.module) }
        parameters = ParameterStore(specs: specs)
    }

    /// The adapter saved in `folder` (`adapter_config.json` and `adapter_model.safetensors`,
    /// as PEFT and `c2s train --lora-rank` write them) on top of `base`, loaded strictly: a
    /// missing, extra or misshaped matrix is an error naming it.
    public static func load(adapter folder: String, onto base: any CausalLanguageModel) throws -> LowRankAdaptedModel {
        let (configuration, _) = try LoRAConfiguration.read(folder: folder)
        let path = (folder as NSString).appendingPathComponent(LoRAConfiguration.weightsFileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelError.input("\(folder) has no \(LoRAConfiguration.weightsFileName)")
        }
        let weights = try SafetensorsFile(path: path)
        try checkRank(configuration.rank, against: weights, folder: folder)
        let model = try LowRankAdaptedModel(base: base, configuration: configuration)
        try model.parameters.load(from: weights, ignoring: [])
        if let bad = model.parameters.firstNonFinite() { throw ModelError.input("\(path): \(bad.name) holds a NaN or infinite value at element \(bad.index)") }
        return model
    }

    /// The rank sizes every adapter matrix, so it is checked against the stored `lora_A`
    /// matrices (`[r, in]`) before any is allocated: an `"r"` of 2^40 would otherwise ask for
    /// terabytes before strict loading found the shapes wrong.
    static func checkRank(_ rank: Int, against weights: SafetensorsFile, folder: String) throws {
        let config = (folder as NSString).appendingPathComponent(LoRAConfiguration.configFileName)
        guard let first = weights.tensorNames.sorted().first(where: { $0.hasSuffix(".lora_A.weight") }) else {
            throw ModelError.input("\(weights.source): no lora_A matrices (is it a LoRA adapter's \(LoRAConfiguration.weightsFileName)?)")
        }
        let shape = try weights.info(first).shape
        guard shape.first == rank else {
            throw ModelError.input("\(config): \"r\" is \(rank) but \(first) in \(LoRAConfiguration.weightsFileName) has shape \(shape) (\(shape.first ?? 0) rows)")
        }
    }

    /// PEFT's saved name of an adapter matrix.
    static func tensorName(_ module: String, _ matrix: String) -> String { "base_model.model.\(module).\(matrix).weight" }

    /// The adapters as the block reads them, from `buffer` (the adapters or their gradients);
    /// `dropoutKey` attaches each adapter's dropout mask (training passes).
    func blockAdapters(in buffer: UnsafeMutablePointer<Float>, dropoutKey: UInt64? = nil) -> [PreNormDecoder.BlockAdapters?] {
        let firstRow = randomFirstRow
        let r = configuration.rank, scale = configuration.scale, p = Float(configuration.dropout)
        var stream = 0
        return targets.map { layer in
            guard !layer.isEmpty else { return nil }
            var block = PreNormDecoder.BlockAdapters()
            for t in layer {
                var adapter = PreNormDecoder.LowRank(
                    a: parameters.pointer(Self.tensorName(t.module, "lora_A"), in: buffer),
                    b: parameters.pointer(Self.tensorName(t.module, "lora_B"), in: buffer),
                    rank: r, scale: scale, offset: t.offset, width: t.width)
                // Each adapter its own mask, as PEFT gives each its own nn.Dropout.
                if let key = dropoutKey, p > 0 { adapter.dropout = DropoutMask(probability: p, key: key, stream: stream, firstRow: firstRow) }
                stream += 1
                block.byProjection[t.projection, default: []].append(adapter)
            }
            return block
        }
    }

    /// The base's weights (`weights`: fp32 pointers or resident matrices) with the adapters
    /// attached (with dropout masks keyed by `dropoutKey`, when given).
    func adapted<Matrix>(_ weights: PreNormDecoder.WeightsOf<Matrix>, dropoutKey: UInt64? = nil) -> PreNormDecoder.WeightsOf<Matrix> {
        var w = weights
        for (l, adapters) in blockAdapters(in: parameters.base, dropoutKey: dropoutKey).enumerated() { w.blocks[l].adapters = adapters }
        return w
    }

    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        try DecoderOutput.check(batch, cache: cache, info: info)
        lock.lock()
        defer { lock.unlock() }
        return PreNormDecoder.infer(batch, cache: cache, state: inference, logits: logits, hiddenStates: hiddenStates) {
            (decoder.decoderShape, adapted(decoder.residentWeights), decoder.embeddings(gradients: nil))
        }
    }

    private func step(_ batch: TrainingBatch, gradients: UnsafeMutablePointer<Float>?, scale: Float) throws -> LossSum {
        try batch.validate(vocabularySize: info.vocabularySize, contextLength: info.contextLength)
        try TrainingChecks.requireFrozenBaseTrainable(decoder.parameters)
        lock.lock()
        defer { lock.unlock() }
        // Dropout only where the adapters learn; a loss alone (validation) runs without it.
        let key = gradients == nil ? nil : randomKey
        let adapterGradients = gradients.map { PreNormDecoder.Gradients(scale: scale, weights: nil, adapters: blockAdapters(in: $0)) }
        let embeddings = decoder.embeddings(gradients: nil)
        // An fp32 base is read through plain pointers (the products of full training); a bf16
        // one stays bf16, its products on the AVX512-BF16 kernels.
        if decoder.parameters.matrixPrecision == .fp32 {
            return PreNormDecoder.step(batch, shape: decoder.decoderShape, weights: adapted(decoder.decoderWeights(in: decoder.parameters.base), dropoutKey: key),
                                       gradients: adapterGradients, embeddings: embeddings, workspace: training)
        }
        return PreNormDecoder.step(batch, shape: decoder.decoderShape, weights: adapted(decoder.residentWeights, dropoutKey: key),
                                   gradients: adapterGradients, embeddings: embeddings, workspace: training)
    }

    public func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try step(batch, gradients: gradients, scale: scale)
    }

    public func setActivationCheckpointing(_ on: Bool) { training.checkpointActivations = on }

    public func setRandomKey(_ key: UInt64, firstRow: Int) {
        randomKey = key
        randomFirstRow = firstRow
    }

    public func loss(_ batch: TrainingBatch) throws -> LossSum {
        try step(batch, gradients: nil, scale: 1)
    }

    /// PEFT's initialisation: A from `kaiming_uniform_(a=√5)`, which is uniform on
    /// `±1/√in`; B zero, so the adapted model starts as the base.
    public func initializeParameters(seed: UInt64) {
        ParameterInitialization.fill(parameters, seed: seed) { spec in
            spec.name.hasSuffix("lora_B.weight") ? .zeros : .uniform(bound: 1 / Double(spec.shape[1]).squareRoot())
        }
    }

    /// The base's head (not among the adapters: gene-head initialisation does not apply).
    public var outputHeadParameter: String { (base as? any TrainableModel)?.outputHeadParameter ?? "" }

    /// Adds `scale · B·A` into the base weights (PEFT's `merge_and_unload`), after which the
    /// base alone computes what this model did. The adapters stay as they are; running this
    /// model afterwards would add them twice, so use `base` from then on. The base must be
    /// fp32 (`ModelLoader.load`'s default).
    public func mergeIntoBase() {
        let store = decoder.parameters
        precondition(store.matrixPrecision == .fp32, "merging adapters needs fp32 base weights")
        lock.lock()
        defer { lock.unlock() }
        let weights = decoder.decoderWeights(in: store.base)
        for (l, adapters) in blockAdapters(in: parameters.base).enumerated() {
            guard let adapters else { continue }
            let block = weights.blocks[l]
            let products: [(PreNormDecoder.Projection, UnsafeMutablePointer<Float>, Int)] = [
                (.qkv, block.qkvWeight, targets[l].first { $0.projection == .qkv }?.inWidth ?? 0),
                (.out, block.outWeight, targets[l].first { $0.projection == .out }?.inWidth ?? 0),
                (.up, block.upWeight, targets[l].first { $0.projection == .up }?.inWidth ?? 0),
                (.down, block.downWeight, targets[l].first { $0.projection == .down }?.inWidth ?? 0),
            ]
            for (projection, weight, k) in products {
                // W [out, in] rows offset..<offset+width += scale · B [width, r] · A [r, in].
                for a in adapters[projection] {
                    Matmul.gemm(transA: false, transB: false, m: a.width, n: k, k: a.rank, alpha: a.scale, a.b, lda: a.rank,
                                a.a, ldb: k, beta: 1, weight + a.offset * k, ldc: k)
                }
            }
        }
        // A bf16 copy made before the merge would be stale.
        store.disableBF16Decoding()
    }
}
