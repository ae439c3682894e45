import CLAPACK
import SingleCell

/// The largest eigenvalues of a real symmetric matrix with their eigenvectors, from LAPACK's
/// `dsyevr` (relatively robust representations) in the OpenBLAS library.
enum SymmetricEigen {
    /// The `count` largest eigenvalues of the `n x n` symmetric `matrix` (row-major) in descending
    /// order, with unit eigenvectors as rows of `vectors` (`count x n`). Both triangles
    /// must be filled.
    static func largest(_ matrix: [Double], n: Int, count: Int) throws -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n && count >= 1 && count <= n)
        var a = matrix
        var jobz = Int8(UInt8(ascii: "V")), range = Int8(UInt8(ascii: "I")), uplo = Int8(UInt8(ascii: "U"))
        var n32 = Int32(n), lda = Int32(n), ldz = Int32(n)
        var vl = 0.0, vu = 0.0
        var il = Int32(n - count + 1), iu = Int32(n)
        var abstol = 0.0
        var found: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * count)
        var support = [Int32](repeating: 0, count: 2 * max(1, count))
        var info: Int32 = 0
        // Workspace query first, as LAPACK asks.
        var workSize = 0.0
        var iworkSize: Int32 = 0
        var query: Int32 = -1
        dsyevr_(&jobz, &range, &uplo, &n32, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz, &support,
                &workSize, &query, &iworkSize, &query, &info, 1, 1, 1)
        guard info == 0 else { throw DataError("eigen-decomposition workspace query failed (LAPACK dsyevr info \(info))") }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevr_(&jobz, &range, &uplo, &n32, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz, &support,
                &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        guard info == 0, Int(found) == count else {
            throw DataError("eigen-decomposition did not converge (LAPACK dsyevr info \(info), \(found) of \(count) eigenvalues)")
        }
        // LAPACK returns ascending eigenvalues, each eigenvector a column (contiguous, column-major).
        var values: [Double] = [], vectors: [Double] = []
        values.reserveCapacity(count); vectors.reserveCapacity(count * n)
        for j in stride(from: count - 1, through: 0, by: -1) {
            values.append(w[j])
            vectors.append(contentsOf: z[(j * n)..<((j + 1) * n)])
        }
        return (values, vectors)
    }
}
