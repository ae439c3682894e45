import Foundation

/// What an architecture hands the shared pre-norm training pass (`PreNormDecoder`): its
/// shape, its parameters (or their gradients) as pointers, and its embeddings. Its
/// `TrainableModel` methods are then one `preNormStep` call each.
protocol PreNormTrainable: AnyObject {
    var lock: NSLock { get }
    var training: TrainingWorkspace { get }
    var parameters: ParameterStore { get }
    var trainingShape: PreNormDecoder.Shape { get }
    func trainingWeights(in buffer: UnsafeMutablePointer<Float>) -> PreNormDecoder.Weights
    func embeddings(gradients: UnsafeMutablePointer<Float>?) -> PreNormDecoder.Embeddings
}

extension PreNormTrainable {
    /// Checks `batch` against the model's vocabulary and context, then runs the pass under the
    /// model's lock: with `gradients`, adds `scale` × the gradient of the summed loss into them;
    /// without, computes the loss alone.
    func preNormStep(_ batch: TrainingBatch, vocabularySize: Int, contextLength: Int,
                     gradients: UnsafeMutablePointer<Float>?, scale: Float = 1) throws -> LossSum {
        try batch.validate(vocabularySize: vocabularySize, contextLength: contextLength)
        lock.lock()
        defer { lock.unlock() }
        return PreNormDecoder.step(batch, shape: trainingShape, weights: trainingWeights(in: parameters.base),
                                   gradients: gradients.map { (trainingWeights(in: $0), scale) },
                                   embeddings: embeddings(gradients: gradients), workspace: training)
    }
}
