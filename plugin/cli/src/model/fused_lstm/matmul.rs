//! Matrix products through the `gemm` crate (candle's own CPU kernel), over strided views of
//! plain slices: the recurrence multiplies rows of a (batch, time, ·) buffer that are a whole
//! time axis apart, which candle would first copy out.

use gemm::Parallelism;

/// A `rows × cols` matrix whose element (r, c) is `data[r·row_stride + c·col_stride]`.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> View<'a> {
    /// Row-major rows of `cols` elements, `row_stride` apart.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        let v = View {
            data,
            rows,
            cols,
            row_stride,
            col_stride: 1,
        };
        v.check(data.len());
        v
    }

    pub fn t(self) -> Self {
        View {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    fn check(&self, len: usize) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
            assert!(last < len, "matrix view runs past its slice");
        }
    }
}

/// The destination of a product: row-major rows, `row_stride` apart.
pub struct ViewMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

impl<'a> ViewMut<'a> {
    pub fn rows(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        View::rows(data, rows, cols, row_stride);
        ViewMut {
            data,
            rows,
            cols,
            row_stride,
        }
    }
}

/// `dst = a·b`, or `dst += a·b` when `accumulate`, on the calling thread: the layer runs one
/// block of the batch per thread already.
pub fn matmul(dst: ViewMut<'_>, a: View<'_>, b: View<'_>, accumulate: bool) {
    assert!(
        dst.rows == a.rows && dst.cols == b.cols && a.cols == b.rows,
        "matrix shapes do not chain: ({}×{}) = ({}×{})·({}×{})",
        dst.rows,
        dst.cols,
        a.rows,
        a.cols,
        b.rows,
        b.cols
    );
    let s = |x: usize| x as isize;
    // SAFETY: every view was checked to stay inside its slice, `dst` is borrowed mutably and
    // so overlaps neither operand, and the shapes agree (asserted above).
    unsafe {
        gemm::gemm(
            dst.rows,
            dst.cols,
            a.cols,
            dst.data.as_mut_ptr(),
            1,
            s(dst.row_stride),
            accumulate,
            a.data.as_ptr(),
            s(a.col_stride),
            s(a.row_stride),
            b.data.as_ptr(),
            s(b.col_stride),
            s(b.row_stride),
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_and_transposed_products_match_the_definition() {
        // a: 2×3 rows 4 apart; b = (3×2)ᵀ of a 2×3 row-major matrix.
        let a_data = [1.0, 2.0, 3.0, 99.0, 4.0, 5.0, 6.0];
        let b_data = [1.0, 0.0, 2.0, 0.0, 1.0, 3.0];
        let a = View::rows(&a_data, 2, 3, 4);
        let b = View::rows(&b_data, 2, 3, 3).t();
        let mut out = [10.0; 4];
        matmul(ViewMut::rows(&mut out, 2, 2, 2), a, b, false);
        assert_eq!(out, [7.0, 11.0, 16.0, 23.0]);
        matmul(ViewMut::rows(&mut out, 2, 2, 2), a, b, true);
        assert_eq!(out, [14.0, 22.0, 32.0, 46.0]);
    }

    #[test]
    #[should_panic(expected = "runs past")]
    fn a_view_past_its_slice_is_refused() {
        View::rows(&[0.0; 5], 2, 3, 3);
    }
}
