import CellSentences
import SingleCell

/// What `c2s convert` turns into a sentence dataset: one or more count-matrix inputs read as
/// one, and the conversion's settings.
public struct DatasetConversionSettings: Sendable {
    /// Count-matrix files or folders (``InputFileList``), read as one matrix.
    public var inputs: [String]
    /// The sentence dataset folder to write.
    public var output: String
    /// How the inputs are read (`format` nil: detected per file).
    public var read = ReadOptions()
    public var options = ConversionOptions()

    public init(inputs: [String], output: String) {
        self.inputs = inputs
        self.output = output
    }
}

/// `c2s convert`: opens the inputs as one source, records their format, and converts them
/// (``CellSentenceConverter``).
public enum DatasetConversion {
    /// The written dataset.
    public struct Result {
        public var manifest: DatasetManifest
        /// The inputs' name for messages (a file, or a list of them).
        public var inputName: String
        /// The manifest's warnings that the conversion added to the input's (which were
        /// already passed to `onEvent` before the conversion began).
        public var conversionWarnings: [String]
    }

    /// Converts; `onEvent` hears the input's warnings before the conversion and its progress
    /// during it. Errors name the file.
    public static func run(_ s: DatasetConversionSettings, onEvent: @escaping (CellTaskEvent) -> Void = { _ in }) throws -> Result {
        var options = s.options
        let list = try InputFileList(s.inputs)
        let detected = try Set(list.files.map { try s.read.format ?? ExpressionReader.detectFormat($0) })
        options.formatName = detected.count == 1 ? detected.first!.rawValue : "mixed"
        let source = try list.open(options: s.read)
        source.warnings.forEach { onEvent(.warning($0)) }
        let manifest = try CellSentenceConverter.convert(source, to: s.output, options: options,
                                                         progress: { onEvent(.progress(phase: $0, done: $1, total: $2)) })
        return Result(manifest: manifest, inputName: list.name,
                      conversionWarnings: manifest.warnings.filter { w in !source.warnings.contains(w) })
    }
}
