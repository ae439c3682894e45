import Transformer

extension SafetensorsFile {
    /// A tensor of a saved model as fp32 values, for comparing weights in CLI tests.
    func floats(_ name: String) throws -> [Float] {
        let count = try info(name).shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { try copyFloats(name, into: $0.baseAddress!, count: count) }
        return out
    }
}
