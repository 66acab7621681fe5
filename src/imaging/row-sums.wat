;; Weighted sums of image rows: the inner loop of resample.ts's vertical pass
;; and of the thumbnail (display-pixels.ts, accumulateRows).
;;
;; For i < n:  acc[i] = acc[i] + w[0]*v(0, i) + w[1]*v(1, i) + ... + w[rows-1]*v(rows-1, i)
;; added left to right in float64, where v(k, i) is
;;   sum16: table[u16 word at src + k*rowBytes + 2i]  (table: float32 per word value)
;;   sum8:  table[u8 word at src + k*rowBytes + i]
;;   sumF32: the float32 at src + k*rowBytes + 4i
;; Four rows per sweep over the columns (a quarter of the accumulator traffic);
;; the additions are in the same order as one row at a time, so the result is
;; bit-identical to the plain JavaScript loop (test/imaging/row-sums.test.ts).
;;
;; All addresses are byte offsets into the exported memory; row-sums.ts lays
;; out table, weights (float64), accumulator (float64) and the strip of rows.
;; Built into row-sums-wasm.ts by `npm run build:kernels` (wabt).
(module
  (memory (export "memory") 1)

  (func (export "sum16")
    (param $src i32) (param $rowBytes i32) (param $rows i32) (param $table i32)
    (param $wts i32) (param $acc i32) (param $n i32)
    (local $k i32) (local $a i32) (local $end i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $w0 f64) (local $w1 f64) (local $w2 f64) (local $w3 f64)
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 3))))
    (block $done4
      (loop $sweep4
        (br_if $done4 (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $rows)))
        (local.set $w0 (f64.load (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w1 (f64.load offset=8 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w2 (f64.load offset=16 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w3 (f64.load offset=24 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
        (local.set $a (local.get $acc))
        (block $doneX
          (loop $columns
            (br_if $doneX (i32.ge_u (local.get $a) (local.get $end)))
            (f64.store (local.get $a)
              (f64.add (f64.add (f64.add (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $w0) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p0)) (i32.const 2)))))))
                (f64.mul (local.get $w1) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p1)) (i32.const 2)))))))
                (f64.mul (local.get $w2) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p2)) (i32.const 2)))))))
                (f64.mul (local.get $w3) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p3)) (i32.const 2))))))))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 2)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 2)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 2)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 2)))
            (br $columns)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $sweep4)))
    (block $done1
      (loop $sweep1
        (br_if $done1 (i32.ge_s (local.get $k) (local.get $rows)))
        (local.set $w0 (f64.load (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $a (local.get $acc))
        (block $doneX1
          (loop $columns1
            (br_if $doneX1 (i32.ge_u (local.get $a) (local.get $end)))
            (f64.store (local.get $a)
              (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $w0) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p0)) (i32.const 2))))))))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 2)))
            (br $columns1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $sweep1))))

  (func (export "sum8")
    (param $src i32) (param $rowBytes i32) (param $rows i32) (param $table i32)
    (param $wts i32) (param $acc i32) (param $n i32)
    (local $k i32) (local $a i32) (local $end i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $w0 f64) (local $w1 f64) (local $w2 f64) (local $w3 f64)
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 3))))
    (block $done4
      (loop $sweep4
        (br_if $done4 (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $rows)))
        (local.set $w0 (f64.load (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w1 (f64.load offset=8 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w2 (f64.load offset=16 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w3 (f64.load offset=24 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
        (local.set $a (local.get $acc))
        (block $doneX
          (loop $columns
            (br_if $doneX (i32.ge_u (local.get $a) (local.get $end)))
            (f64.store (local.get $a)
              (f64.add (f64.add (f64.add (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $w0) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p0)) (i32.const 2)))))))
                (f64.mul (local.get $w1) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p1)) (i32.const 2)))))))
                (f64.mul (local.get $w2) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p2)) (i32.const 2)))))))
                (f64.mul (local.get $w3) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p3)) (i32.const 2))))))))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 1)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 1)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 1)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 1)))
            (br $columns)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $sweep4)))
    (block $done1
      (loop $sweep1
        (br_if $done1 (i32.ge_s (local.get $k) (local.get $rows)))
        (local.set $w0 (f64.load (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $a (local.get $acc))
        (block $doneX1
          (loop $columns1
            (br_if $doneX1 (i32.ge_u (local.get $a) (local.get $end)))
            (f64.store (local.get $a)
              (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $w0) (f64.promote_f32 (f32.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p0)) (i32.const 2))))))))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 1)))
            (br $columns1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $sweep1))))

  (func (export "sumF32")
    (param $src i32) (param $rowBytes i32) (param $rows i32)
    (param $wts i32) (param $acc i32) (param $n i32)
    (local $k i32) (local $a i32) (local $end i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local $w0 f64) (local $w1 f64) (local $w2 f64) (local $w3 f64)
    (local.set $end (i32.add (local.get $acc) (i32.shl (local.get $n) (i32.const 3))))
    (block $done4
      (loop $sweep4
        (br_if $done4 (i32.gt_s (i32.add (local.get $k) (i32.const 4)) (local.get $rows)))
        (local.set $w0 (f64.load (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w1 (f64.load offset=8 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w2 (f64.load offset=16 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $w3 (f64.load offset=24 (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $rowBytes)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $rowBytes)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $rowBytes)))
        (local.set $a (local.get $acc))
        (block $doneX
          (loop $columns
            (br_if $doneX (i32.ge_u (local.get $a) (local.get $end)))
            (f64.store (local.get $a)
              (f64.add (f64.add (f64.add (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $w0) (f64.promote_f32 (f32.load (local.get $p0)))))
                (f64.mul (local.get $w1) (f64.promote_f32 (f32.load (local.get $p1)))))
                (f64.mul (local.get $w2) (f64.promote_f32 (f32.load (local.get $p2)))))
                (f64.mul (local.get $w3) (f64.promote_f32 (f32.load (local.get $p3))))))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
            (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
            (local.set $p2 (i32.add (local.get $p2) (i32.const 4)))
            (local.set $p3 (i32.add (local.get $p3) (i32.const 4)))
            (br $columns)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $sweep4)))
    (block $done1
      (loop $sweep1
        (br_if $done1 (i32.ge_s (local.get $k) (local.get $rows)))
        (local.set $w0 (f64.load (i32.add (local.get $wts) (i32.shl (local.get $k) (i32.const 3)))))
        (local.set $p0 (i32.add (local.get $src) (i32.mul (local.get $k) (local.get $rowBytes))))
        (local.set $a (local.get $acc))
        (block $doneX1
          (loop $columns1
            (br_if $doneX1 (i32.ge_u (local.get $a) (local.get $end)))
            (f64.store (local.get $a)
              (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $w0) (f64.promote_f32 (f32.load (local.get $p0))))))
            (local.set $a (i32.add (local.get $a) (i32.const 8)))
            (local.set $p0 (i32.add (local.get $p0) (i32.const 4)))
            (br $columns1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $sweep1)))))
