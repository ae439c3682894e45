import Evaluation
import Foundation
import SingleCell

/// The generated and real cells behind the report's profile scatter and map, read and aligned
/// as `c2s evaluate generation` does (genes matched by name, real cells log-normalised when its
/// settings say so), and the UMAP with `umap` settings.
public enum ReportCells {
    public static func load(generated: String, real: String, settings: GenerationSettings, umap: UMAPSettings? = nil) throws -> (MeanProfileResult, CellMap) {
        var ref = try ExpressionMatrix.read(real)
        let gen = try ExpressionMatrix.read(generated)
        if let target = settings.normalizeRealTarget { ref = ref.logNormalized(target: target) }
        let (g, gLabels, _) = try GenerationEvaluation.labelled(gen, column: settings.generatedLabelColumn ?? settings.labelColumn)
        let (r, rLabels, _) = try GenerationEvaluation.labelled(ref, column: settings.labelColumn)
        guard !g.cellNames.isEmpty else { throw DataError("\(generated): no cell has a label in '\(settings.generatedLabelColumn ?? settings.labelColumn)'") }
        guard r.cellNames.count > 2 else { throw DataError("\(real): fewer than three cells have a label in '\(settings.labelColumn)'") }
        let alignment = try GeneAlignment([(r.path, r.genes), (g.path, g.genes)])
        let rx = r.matrix.selecting(columns: alignment.columns[0]), gx = g.matrix.selecting(columns: alignment.columns[1])
        let profiles = MeanProfiles.compare(generated: gx, generatedLabels: gLabels, real: rx, realLabels: rLabels)
        let map = try CellMap.build(real: rx, realLabels: rLabels, generated: gx, generatedLabels: gLabels, umap: umap,
                                     threads: settings.threads)
        return (profiles, map)
    }
}
