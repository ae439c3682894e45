import Reports
import Transformer

/// The loss curve of a training run: training loss per step and validation loss at each
/// validation, against the optimizer step.
public enum TrainLossCurve {
    /// The file name in a model folder.
    public static let fileName = "loss.svg"

    public static func svg(_ records: [MetricsRecord], title: String) -> String {
        var trainX: [Double] = [], trainY: [Double] = [], validX: [Double] = [], validY: [Double] = []
        for record in records {
            switch record {
            case .step(let m):
                trainX.append(Double(m.step))
                trainY.append(m.loss)
            case .validation(let m):
                validX.append(Double(m.step))
                validY.append(m.loss)
            }
        }
        var series = [LinePlot.Series(name: "training loss", x: trainX, y: trainY, width: 1.5)]
        if !validX.isEmpty { series.append(LinePlot.Series(name: "validation loss", x: validX, y: validY, markers: true)) }
        var plot = LinePlot(series: series, options: PlotOptions(title: title, xLabel: "optimizer step", yLabel: "mean token cross-entropy"))
        plot.legendForSingleSeries = true
        return plot.render()
    }
}
