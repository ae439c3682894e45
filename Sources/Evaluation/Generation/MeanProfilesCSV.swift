extension GenerationReport {
    /// The mean profiles per cell type as CSV: one row per gene the files share (in the real
    /// file's order, as the evaluation aligned them), then the mean generated and the mean real
    /// value of each cell type. `generated`, `real` and `realTrain` are the matrices the report
    /// was computed from.
    public func meanProfilesCSV(generated: ExpressionMatrix, real: ExpressionMatrix, realTrain: ExpressionMatrix?) throws -> String {
        var files: [(path: String, genes: [String])] = [(real.path, real.genes), (generated.path, generated.genes)]
        if let realTrain { files.append((realTrain.path, realTrain.genes)) }
        let shared = try GeneAlignment(files).genes
        let types = meanProfiles.perType.map(\.label)
        var out = "gene," + types.flatMap { ["generated:\($0)", "real:\($0)"] }.map(CSVField.quote).joined(separator: ",") + "\n"
        for (g, name) in shared.enumerated() {
            out += CSVField.quote(name)
            for p in meanProfiles.profiles { out += ",\(p.generated[g]),\(p.real[g])" }
            out += "\n"
        }
        return out
    }
}
