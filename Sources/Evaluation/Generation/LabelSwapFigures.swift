/// The figures of the label-swap test that the report shows (the test itself lives in the C2S
/// module, which this module does not import; `c2s report eval` fills this in from the
/// "label_swap" object of `c2s evaluate generation`'s JSON).
public struct LabelSwapFigures: Sendable, Equatable {
    /// Held-out real cells scored, and the labels each was scored under.
    public var cells: Int
    public var labels: Int
    /// Share of cells whose own label gives their sentence the highest likelihood.
    public var accuracy: Double
    /// 1 / labels: the accuracy of a model that ignores the label.
    public var chance: Double
    /// Mean over cells of own minus other labels' log-likelihood of the whole sentence (nats);
    /// 0 for a model that ignores the label.
    public var gapPerCell: Double
    /// The same per response token.
    public var gapPerToken: Double

    public init(cells: Int, labels: Int, accuracy: Double, chance: Double, gapPerCell: Double, gapPerToken: Double) {
        self.cells = cells
        self.labels = labels
        self.accuracy = accuracy
        self.chance = chance
        self.gapPerCell = gapPerCell
        self.gapPerToken = gapPerToken
    }
}
