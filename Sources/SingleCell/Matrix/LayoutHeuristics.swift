/// Cheap checks that catch a matrix given the wrong way round (genes as rows).
public enum LayoutHeuristics {
    /// Whether a name looks like a cell barcode (a run of at least 10 of A/C/G/T, optionally with a suffix).
    static func looksLikeBarcode(_ name: String) -> Bool {
        var run = 0, best = 0
        for u in name.utf8 {
            if u == 65 || u == 67 || u == 71 || u == 84 { run += 1; best = max(best, run) } else { run = 0 }
        }
        return best >= 10
    }

    /// Whether a name looks like a gene: an Ensembl id or a mitochondrial/ribosomal symbol.
    static func looksLikeGene(_ name: String) -> Bool {
        let upper = name.uppercased()
        return EnsemblIDs.looksLikeEnsembl(name) || upper.hasPrefix("MT-") || upper.hasPrefix("RPL") || upper.hasPrefix("RPS")
    }

    /// The positions of the names the checks look at: all of them up to 2,000, else about
    /// 2,000 evenly spaced ones (`count` of them from 0, every `stride`-th).
    public static func sample(_ n: Int) -> (count: Int, stride: Int) {
        guard n > 2000 else { return (n, 1) }
        let step = n / 2000
        return ((n + step - 1) / step, step)
    }

    static func sampled(_ names: [String]) -> [String] {
        let (count, step) = sample(names.count)
        return (0..<count).map { names[$0 * step] }
    }

    /// Warnings when gene names look like barcodes or many cell names look like genes.
    public static func transposeWarnings(cellNames: [String], geneNames: [String], path: String) -> [String] {
        transposeWarnings(cellNameSample: sampled(cellNames), geneNames: geneNames, path: path)
    }

    /// The same, given only the sample of cell names (`sample(_:)` of the cell count), so that
    /// a source with its names on disk reads 2,000 of them.
    public static func transposeWarnings(cellNameSample: [String], geneNames: [String], path: String) -> [String] {
        func fraction(_ sample: [String], _ test: (String) -> Bool) -> Double {
            guard !sample.isEmpty else { return 0 }
            return Double(sample.filter(test).count) / Double(sample.count)
        }
        if fraction(sampled(geneNames), looksLikeBarcode) > 0.5 || fraction(cellNameSample, looksLikeGene) > 0.2 {
            return ["\(path): the matrix looks transposed (gene names look like cell barcodes, or cell names like genes); cells must be rows. Use --genes-as-rows for text input or transpose the file."]
        }
        return []
    }
}

/// Recognises Ensembl gene identifiers (ENSG00000139618, ENSMUSG00000064370, with optional version).
public enum EnsemblIDs {
    public static func looksLikeEnsembl(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard u.count >= 11, u[0] == 69, u[1] == 78, u[2] == 83 else { return false }  // "ENS"
        var i = 3
        while i < u.count, u[i] >= 65, u[i] <= 90 { i += 1 }  // species + feature letters
        var digits = 0
        while i < u.count, u[i] >= 48, u[i] <= 57 { i += 1; digits += 1 }
        return digits >= 6 && (i == u.count || u[i] == 46)  // optional ".version"
    }

    /// Fraction of `names` that look like Ensembl ids.
    public static func fraction(_ names: [String]) -> Double {
        names.isEmpty ? 0 : Double(names.filter(looksLikeEnsembl).count) / Double(names.count)
    }
}
