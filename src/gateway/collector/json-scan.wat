;; The first pass of the compact-batch reader (json-scan.ts), 16 bytes at a time.
;;
;; scan(length, quotesAt): the body is in memory[0, length), length a multiple of 16 (the caller
;; pads it with spaces). Writes the offset of every double quote, in order, as i32s from
;; quotesAt on, and answers
;;   -1                                  if any byte is below 0x20 or a backslash,
;;   quotes * 2 + (any byte >= 0x80)     otherwise.
;;
;; json-scan.ts embeds what this assembles to; its test assembles this file again and compares.
(module
  (memory (export "memory") 40)
  (func (export "scan") (param $length i32) (param $quotesAt i32) (result i32)
    (local $at i32)
    (local $block v128)
    (local $refused v128)
    (local $seen v128)
    (local $quotes i32)
    (local $mask i32)
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $at) (local.get $length)))
        (local.set $block (v128.load (local.get $at)))
        ;; A control byte or a backslash anywhere refuses the body.
        (local.set $refused
          (v128.or
            (local.get $refused)
            (v128.or
              (i8x16.lt_u (local.get $block) (i8x16.splat (i32.const 0x20)))
              (i8x16.eq (local.get $block) (i8x16.splat (i32.const 0x5c))))))
        ;; Every byte OR-ed together: its high bit says whether the body is all ASCII.
        (local.set $seen (v128.or (local.get $seen) (local.get $block)))
        ;; One bit per quote in this block, lowest offset first.
        (local.set $mask
          (i8x16.bitmask (i8x16.eq (local.get $block) (i8x16.splat (i32.const 0x22)))))
        (block $written
          (loop $each
            (br_if $written (i32.eqz (local.get $mask)))
            (i32.store
              (i32.add (local.get $quotesAt) (i32.shl (local.get $quotes) (i32.const 2)))
              (i32.add (local.get $at) (i32.ctz (local.get $mask))))
            (local.set $quotes (i32.add (local.get $quotes) (i32.const 1)))
            (local.set $mask
              (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))
            (br $each)))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $blocks)))
    (if (v128.any_true (local.get $refused))
      (then (return (i32.const -1))))
    (i32.or
      (i32.shl (local.get $quotes) (i32.const 1))
      (i32.ne (i8x16.bitmask (local.get $seen)) (i32.const 0)))))
