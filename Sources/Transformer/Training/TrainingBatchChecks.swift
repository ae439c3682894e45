extension TrainingBatch {
    /// Throws `ModelError.input` naming the first token, target or sequence a model with this
    /// vocabulary and context cannot take.
    func validate(vocabularySize: Int, contextLength: Int) throws {
        for (i, t) in tokens.enumerated() where t < 0 || Int(t) >= vocabularySize {
            throw ModelError.input("training batch: token id \(t) at position \(i) is outside the vocabulary (size \(vocabularySize))")
        }
        for (i, t) in targets.enumerated() where t != Self.ignored && (t < 0 || Int(t) >= vocabularySize) {
            throw ModelError.input("training batch: target \(t) at position \(i) is outside the vocabulary (size \(vocabularySize)) and is not \(Self.ignored) (ignored)")
        }
        for (i, n) in lengths.enumerated() where n > contextLength {
            throw ModelError.input("training batch: sequence \(i) has \(n) tokens, more than the model's context of \(contextLength)")
        }
    }

    /// Where each sequence sits in the concatenated rows.
    var sequences: [SequenceSpan] {
        var spans: [SequenceSpan] = []
        spans.reserveCapacity(lengths.count)
        var start = 0
        for n in lengths {
            spans.append(SequenceSpan(start: start, count: n))
            start += n
        }
        return spans
    }
}

/// What a training pass needs of the model itself.
enum TrainingChecks {
    /// Training reads and updates fp32 master weights (gradients and optimizer moments are laid
    /// out like the fp32 arena): a store keeping bf16 matrices, loaded for inference, cannot
    /// be trained. `ModelLoader.load`'s default loads fp32.
    static func requireFP32(_ store: ParameterStore) throws {
        guard store.matrixPrecision == .fp32 else {
            throw ModelError.input("training needs fp32 weights, but this model keeps its matrices in \(store.matrixPrecision.rawValue); load it with weights fp32")
        }
    }

    /// A frozen base (LoRA) is only multiplied by, so fp32 and bf16 both serve; int8 is an
    /// inference format (its products have no backward kernels).
    static func requireFrozenBaseTrainable(_ store: ParameterStore) throws {
        guard store.matrixPrecision != .int8 else {
            throw ModelError.input("LoRA training needs a base in fp32 or bf16, but this model keeps its matrices in int8; load it without --quantize")
        }
    }
}
