;; Weighted sums of image rows: the inner loops of resample.ts (both passes)
;; and of the thumbnail (imaging/thumbnail.ts, through row-sums.ts sumRows).
;;
;; For i < n:  acc[i] = acc[i] + w[0]*v(0, i) + w[1]*v(1, i) + ... + w[rows-1]*v(rows-1, i)
;; added left to right in float64, where v(k, i) is
;;   sum16: table[u16 word at src + k*rowBytes + 2i]  (table: float64 per word value,
;;          the display table's float32 values widened, so no conversion per pixel)
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
                (f64.mul (local.get $w0) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p0)) (i32.const 3))))))
                (f64.mul (local.get $w1) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p1)) (i32.const 3))))))
                (f64.mul (local.get $w2) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p2)) (i32.const 3))))))
                (f64.mul (local.get $w3) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p3)) (i32.const 3)))))))
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
                (f64.mul (local.get $w0) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load16_u (local.get $p0)) (i32.const 3)))))))
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
                (f64.mul (local.get $w0) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p0)) (i32.const 3))))))
                (f64.mul (local.get $w1) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p1)) (i32.const 3))))))
                (f64.mul (local.get $w2) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p2)) (i32.const 3))))))
                (f64.mul (local.get $w3) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p3)) (i32.const 3)))))))
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
                (f64.mul (local.get $w0) (f64.load (i32.add (local.get $table)
                  (i32.shl (i32.load8_u (local.get $p0)) (i32.const 3)))))))
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
        (br $sweep1))))
  ;; The horizontal pass of one output row: for i < outW,
  ;;   out[i] = sum over k < counts[i] of weights[i*taps + k] * f32(acc[starts[i] + k])
  ;; added left to right in float64 from 0 and stored as float32; f32(.)
  ;; rounds each vertical sum to float32 first, as a Float32Array of them would.
  ;; acc: float64 per column; starts, counts: int32 per output; weights: float64.
  (func (export "convolve")
    (param $acc i32) (param $starts i32) (param $counts i32) (param $weights i32)
    (param $taps i32) (param $out i32) (param $outW i32)
    (local $i i32) (local $k i32) (local $n i32) (local $s i32) (local $w i32) (local $sum f64)
    (block $done
      (loop $outputs
        (br_if $done (i32.ge_s (local.get $i) (local.get $outW)))
        (local.set $s (i32.add (local.get $acc)
          (i32.shl (i32.load (i32.add (local.get $starts) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 3))))
        (local.set $n (i32.load (i32.add (local.get $counts) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $w (i32.add (local.get $weights)
          (i32.shl (i32.mul (local.get $i) (local.get $taps)) (i32.const 3))))
        (local.set $sum (f64.const 0))
        (local.set $k (i32.const 0))
        (block $doneK
          (loop $taps
            (br_if $doneK (i32.ge_s (local.get $k) (local.get $n)))
            (local.set $sum (f64.add (local.get $sum)
              (f64.mul (f64.load (local.get $w)) (f64.promote_f32 (f32.demote_f64 (f64.load (local.get $s)))))))
            (local.set $s (i32.add (local.get $s) (i32.const 8)))
            (local.set $w (i32.add (local.get $w) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $taps)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (f32.demote_f64 (local.get $sum)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outputs)))))
