import Foundation
@testable import Transformer

/// A tiny trainable model for testing the training loop apart from any real architecture:
/// logits(t) = W · E[token t] + b, a bigram model with a hand-written backward pass (checked
/// against finite differences in `TrainingLoopTests`). Its weights are small, so every
/// property of the loop (accumulation weights, determinism, exact resume, NaN handling) is
/// tested in milliseconds.
final class BigramTestModel: TrainableModel, @unchecked Sendable {
    let info: ModelInfo
    let parameters: ParameterStore
    let vocabulary: Int, width: Int

    init(vocabulary: Int = 13, width: Int = 6, context: Int = 64, type: String = "bigram_test") {
        self.vocabulary = vocabulary
        self.width = width
        info = ModelInfo(modelType: type, vocabularySize: vocabulary, hiddenSize: width, layers: 1, keyValueWidth: width,
                         contextLength: context, bosTokenIDs: [], eosTokenIDs: [0], padTokenID: nil)
        parameters = ParameterStore(specs: [
            ParameterSpec("embed.weight", [vocabulary, width]),
            ParameterSpec("head.weight", [vocabulary, width]),
            ParameterSpec("head.bias", [vocabulary]),
        ])
        parameters.base.initialize(repeating: 0, count: parameters.count)
    }

    var outputHeadParameter: String { "head.weight" }

    func initializeParameters(seed: UInt64) {
        var random = ShuffleGenerator(seed: seed, stream: 0)
        for i in 0..<parameters.count { parameters.base[i] = Float(Double(random.next() >> 11) * 0x1.0p-53 - 0.5) * 0.4 }
        let bias = parameters.pointer("head.bias")
        for v in 0..<vocabulary { bias[v] = 0 }
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, logits: LogitRows, hiddenStates: Bool) throws -> ForwardResult {
        let rows = logits == .all ? Array(0..<batch.tokenCount) : logits == .none ? [] : batch.lastRows
        var out: [Float] = []
        for r in rows { out += self.logits(batch.tokens[r]) }
        return ForwardResult(logits: out, logitRows: rows.count, hiddenStates: nil)
    }

    func logits(_ token: Int32) -> [Float] {
        let e = parameters.pointer("embed.weight") + Int(token) * width
        let w = parameters.pointer("head.weight"), b = parameters.pointer("head.bias")
        return (0..<vocabulary).map { v in
            var s = b[v]
            for k in 0..<width { s += w[v * width + k] * e[k] }
            return s
        }
    }

    func accumulateGradients(_ batch: TrainingBatch, scale: Float, into gradients: UnsafeMutablePointer<Float>) throws -> LossSum {
        try run(batch, scale: scale, gradients: gradients)
    }

    func loss(_ batch: TrainingBatch) throws -> LossSum { try run(batch, scale: 0, gradients: nil) }

    /// One layer: nothing to recompute.
    func setActivationCheckpointing(_ on: Bool) {}
    func setRandomKey(_ key: UInt64, firstRow: Int) {}

    private func run(_ batch: TrainingBatch, scale: Float, gradients: UnsafeMutablePointer<Float>?) throws -> LossSum {
        var total = LossSum()
        let ge = gradients.map { parameters.testPointer("embed.weight", in: $0) }
        let gw = gradients.map { parameters.testPointer("head.weight", in: $0) }
        let gb = gradients.map { parameters.testPointer("head.bias", in: $0) }
        let w = parameters.pointer("head.weight"), embed = parameters.pointer("embed.weight")
        // Which sequence each position belongs to, for the per-sequence losses.
        let owner = batch.lengths.enumerated().flatMap { Array(repeating: $0.offset, count: $0.element) }
        total.bySequence = Array(repeating: 0, count: batch.lengths.count)
        for (i, target) in batch.targets.enumerated() where target != TrainingBatch.ignored {
            let token = batch.tokens[i]
            let z = logits(token)
            let m = z.max()!
            let sum = z.reduce(0.0) { $0 + exp(Double($1 - m)) }
            let loss = log(sum) + Double(m) - Double(z[Int(target)])
            total.sum += loss
            total.bySequence[owner[i]] += loss
            total.tokens += 1
            guard let ge, let gw, let gb else { continue }
            let scale = scale * (batch.targetWeights?[i] ?? 1)
            let e = embed + Int(token) * width
            for v in 0..<vocabulary {
                let d = Float(exp(Double(z[v] - m)) / sum) - (v == Int(target) ? 1 : 0)
                gb[v] += scale * d
                for k in 0..<width {
                    gw[v * width + k] += scale * d * e[k]
                    ge[Int(token) * width + k] += scale * d * w[v * width + k]
                }
            }
        }
        return total
    }
}

extension ParameterStore {
    /// The parameter's place in another buffer laid out like this arena.
    func testPointer(_ name: String, in buffer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        buffer + (pointer(name) - base)
    }
}
