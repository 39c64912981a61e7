// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-to-vector))' | FileCheck %s
// RUN: meld-opt %s -split-input-file --pass-pipeline='builtin.module(tile.kernel(meld-tile-to-vector{register-bytes=32}))' | FileCheck %s --check-prefix=BLOCK32

// Contiguous runs (proved by the axis analysis, whatever `contiguity` says):
// one vector load or store per run. With a mask that is one value over each
// run (the buffer's 64 elements end on a run), a masked-off run reads the
// buffer's first run and takes `other`; a store runs under a branch on the
// run's mask bit. Offsets are 32-bit (every buffer is small); elementwise
// math stays elementwise on the 2-D vector, tanh a polynomial.
// CHECK-LABEL: tile.kernel @runs(
// CHECK-SAME:    %[[IN:.+]]: memref<64xf32>, %[[OUT:.+]]: memref<64xf32>)
// CHECK:         tile.program_id 0
// CHECK:         %[[BASE:.+]] = arith.index_cast %{{.+}} : index to i32
// CHECK:         %[[SPLAT:.+]] = vector.broadcast %[[BASE]] : i32 to vector<2x8xi32>
// CHECK:         %[[IOTA:.+]] = arith.constant dense<{{\[\[}}0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7]]> : vector<2x8xi32>
// CHECK:         %[[OFFS:.+]] = arith.addi %[[SPLAT]], %[[IOTA]] : vector<2x8xi32>
// CHECK:         %[[MASK:.+]] = arith.cmpi ult, %[[OFFS]], %{{.+}} : vector<2x8xi32>
// CHECK:         %[[O0:.+]] = vector.extract %[[OFFS]][0, 0] : i32 from vector<2x8xi32>
// CHECK:         %[[I0:.+]] = arith.index_cast %[[O0]] : i32 to index
// CHECK:         %[[M0:.+]] = vector.extract %[[MASK]][0, 0] : i1 from vector<2x8xi1>
// CHECK:         %[[SAFE0:.+]] = arith.select %[[M0]], %[[I0]], %{{.+}} : index
// CHECK:         %[[V0:.+]] = vector.load %[[IN]][%[[SAFE0]]] : memref<64xf32>, vector<8xf32>
// CHECK:         %[[R0:.+]] = arith.select %[[M0]], %[[V0]], %[[PASS:.+]] : vector<8xf32>
// CHECK:         %[[X0:.+]] = vector.insert_strided_slice %[[R0]], %{{.+}} {offsets = [0, 0], strides = [1]} : vector<8xf32> into vector<2x8xf32>
// CHECK:         %[[M1:.+]] = vector.extract %[[MASK]][1, 0] : i1 from vector<2x8xi1>
// CHECK:         arith.select %[[M1]]
// CHECK:         vector.load %[[IN]]
// CHECK:         %[[X:.+]] = vector.insert_strided_slice %{{.+}}, %[[X0]] {offsets = [1, 0], strides = [1]}
// CHECK-NOT:     math.tanh
// CHECK:         math.fma {{.+}} : vector<2x8xf32>
// CHECK-NOT:     math.tanh
// CHECK:         %[[T0:.+]] = vector.extract %{{.+}}[0] : vector<8xf32> from vector<2x8xf32>
// CHECK:         scf.if %{{.+}} {
// CHECK:           vector.store %[[T0]], %[[OUT]][%{{.+}}] : memref<64xf32>, vector<8xf32>
// CHECK:         scf.if %{{.+}} {
// CHECK:           vector.store %{{.+}}, %[[OUT]][%{{.+}}] : memref<64xf32>, vector<8xf32>
// CHECK-NOT:     tile.load
// CHECK:         tile.return
tile.kernel @runs(%in: memref<64xf32>, %out: memref<64xf32>)
    attributes {grid = array<i64: 4>} {
  %pid = tile.program_id 0
  %c16 = arith.constant 16 : index
  %start = arith.muli %pid, %c16 : index
  %base = tensor.splat %start : tensor<2x8xindex>
  %cols = tile.iota 1 : tensor<2x8xindex>
  %offs = arith.addi %base, %cols : tensor<2x8xindex>
  %n = arith.constant dense<64> : tensor<2x8xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<2x8xindex>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %in[%offs], %mask, %zero {contiguity = 8 : i64} : memref<64xf32>[tensor<2x8xindex>], tensor<2x8xi1>, f32 -> tensor<2x8xf32>
  %y = math.tanh %x : tensor<2x8xf32>
  tile.store %y, %out[%offs], %mask {contiguity = 8 : i64} : tensor<2x8xf32>, memref<64xf32>[tensor<2x8xindex>], tensor<2x8xi1>
  tile.return
}

// -----

// A mask that varies inside a run (60 elements end inside the last run):
// each run is a masked read, which touches no masked-off element. Each row
// is written with plain writes where its mask is whole, with masked writes
// where only some of it is set, and not at all where none is.
// CHECK-LABEL: tile.kernel @ragged(
// CHECK-SAME:    %[[IN:.+]]: memref<64xf32>, %[[OUT:.+]]: memref<64xf32>)
// CHECK:         %[[MASK:.+]] = arith.cmpi ult, %{{.+}}, %{{.+}} : vector<2x8xi32>
// CHECK:         %[[M0:.+]] = vector.extract %[[MASK]][0] : vector<8xi1> from vector<2x8xi1>
// CHECK:         vector.maskedload %[[IN]][%{{.+}}], %[[M0]], %{{.+}} : memref<64xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
// CHECK:         %[[M1:.+]] = vector.extract %[[MASK]][1] : vector<8xi1> from vector<2x8xi1>
// CHECK:         vector.maskedload %[[IN]][%{{.+}}], %[[M1]], %{{.+}} : memref<64xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
// CHECK:         %[[S0:.+]] = vector.extract %[[MASK]][0] : vector<8xi1> from vector<2x8xi1>
// CHECK:         %[[WHOLE0:.+]] = vector.reduction <and>, %[[S0]] : vector<8xi1> into i1
// CHECK:         scf.if %[[WHOLE0]] {
// CHECK-NOT:       vector.maskedstore
// CHECK:           vector.store %{{.+}}, %[[OUT]][%{{.+}}] : memref<64xf32>, vector<8xf32>
// CHECK:         } else {
// CHECK:           %[[SOME0:.+]] = vector.reduction <or>, %[[S0]] : vector<8xi1> into i1
// CHECK:           scf.if %[[SOME0]] {
// CHECK:             vector.maskedstore %[[OUT]][%{{.+}}], %{{.+}}, %{{.+}} : memref<64xf32>, vector<8xi1>, vector<8xf32>
// CHECK:           }
// CHECK:         }
// CHECK:         %[[S1:.+]] = vector.extract %[[MASK]][1] : vector<8xi1> from vector<2x8xi1>
// CHECK:         %[[WHOLE1:.+]] = vector.reduction <and>, %[[S1]] : vector<8xi1> into i1
// CHECK:         scf.if %[[WHOLE1]] {
// CHECK-NOT:       vector.maskedstore
// CHECK:           vector.store %{{.+}}, %[[OUT]][%{{.+}}] : memref<64xf32>, vector<8xf32>
// CHECK:         } else {
// CHECK:           %[[SOME1:.+]] = vector.reduction <or>, %[[S1]] : vector<8xi1> into i1
// CHECK:           scf.if %[[SOME1]] {
// CHECK:             vector.maskedstore %[[OUT]][%{{.+}}], %{{.+}}, %{{.+}} : memref<64xf32>, vector<8xi1>, vector<8xf32>
// CHECK:           }
// CHECK:         }
// CHECK-NEXT:    tile.return
tile.kernel @ragged(%in: memref<64xf32>, %out: memref<64xf32>)
    attributes {grid = array<i64: 4>} {
  %pid = tile.program_id 0
  %c16 = arith.constant 16 : index
  %start = arith.muli %pid, %c16 : index
  %base = tensor.splat %start : tensor<2x8xindex>
  %cols = tile.iota 1 : tensor<2x8xindex>
  %offs = arith.addi %base, %cols : tensor<2x8xindex>
  %n = arith.constant dense<60> : tensor<2x8xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<2x8xindex>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %in[%offs], %mask, %zero : memref<64xf32>[tensor<2x8xindex>], tensor<2x8xi1>, f32 -> tensor<2x8xf32>
  %y = math.tanh %x : tensor<2x8xf32>
  tile.store %y, %out[%offs], %mask : tensor<2x8xf32>, memref<64xf32>[tensor<2x8xindex>], tensor<2x8xi1>
  tile.return
}

// -----

// A masked read or write wider than a register is one per register, each
// under its slice of the mask: 2 of 16 lanes with 64-byte registers, 4 of 8
// with 32-byte ones. (LLVM 22's X86 backend, left to split a 32-lane masked
// read itself at AVX2, reads the last 8 lanes unmasked here: 18 columns.)
// CHECK-LABEL: tile.kernel @ragged_wide(
// CHECK-SAME:    %[[IN:.+]]: memref<18xf32>, %[[OUT:.+]]: memref<18xf32>)
// CHECK:         %[[MASK:.+]] = arith.cmpi ult, %{{.+}}, %{{.+}} : vector<32xi32>
// CHECK:         %[[M0:.+]] = vector.extract_strided_slice %[[MASK]] {offsets = [0], sizes = [16], strides = [1]}
// CHECK:         %[[R0:.+]] = vector.maskedload %[[IN]][%[[I0:.+]]], %[[M0]], %{{.+}} : memref<18xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         %[[X0:.+]] = vector.insert_strided_slice %[[R0]], %{{.+}} {offsets = [0], strides = [1]} : vector<16xf32> into vector<32xf32>
// CHECK:         %[[I1:.+]] = arith.addi %[[I0]], %{{.+}} : index
// CHECK:         %[[M1:.+]] = vector.extract_strided_slice %[[MASK]] {offsets = [16], sizes = [16], strides = [1]}
// CHECK:         %[[R1:.+]] = vector.maskedload %[[IN]][%[[I1]]], %[[M1]], %{{.+}} : memref<18xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK:         vector.insert_strided_slice %[[R1]], %[[X0]] {offsets = [16], strides = [1]} : vector<16xf32> into vector<32xf32>
// CHECK-NOT:     vector.maskedload
// CHECK-COUNT-2: vector.maskedstore %[[OUT]][%{{.+}}], %{{.+}}, %{{.+}} : memref<18xf32>, vector<16xi1>, vector<16xf32>
// CHECK-NOT:     vector.maskedstore
// CHECK:         tile.return
// BLOCK32-LABEL: tile.kernel @ragged_wide(
// BLOCK32-COUNT-4: vector.maskedload {{.+}} : memref<18xf32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
// BLOCK32-NOT:     vector.maskedload
// BLOCK32-COUNT-4: vector.maskedstore {{.+}} : memref<18xf32>, vector<8xi1>, vector<8xf32>
// BLOCK32-NOT:     vector.maskedstore
// BLOCK32:         tile.return
tile.kernel @ragged_wide(%in: memref<18xf32>, %out: memref<18xf32>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<32xindex>
  %n = arith.constant dense<18> : tensor<32xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<32xindex>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %in[%offs], %mask, %zero : memref<18xf32>[tensor<32xindex>], tensor<32xi1>, f32 -> tensor<32xf32>
  %y = math.absf %x : tensor<32xf32>
  tile.store %y, %out[%offs], %mask : tensor<32xf32>, memref<18xf32>[tensor<32xindex>], tensor<32xi1>
  tile.return
}


// -----

// Offsets not proved contiguous: a gather per row. Masked-off elements read
// element 0 and are replaced by `other` after; stores scatter under the mask.
// CHECK-LABEL: tile.kernel @gather(
// CHECK-SAME:    %[[IN:.+]]: memref<40xf32>, %[[IDX:.+]]: memref<8xi32>, %[[OUT:.+]]: memref<8xf32>)
// CHECK:         %[[OFFS:.+]] = arith.trunci %{{.+}} : vector<8xi64> to vector<8xi32>
// CHECK:         %[[SAFE:.+]] = arith.select %[[MASK:.+]], %[[OFFS]], %{{.+}} : vector<8xi1>, vector<8xi32>
// CHECK:         %[[READ:.+]] = vector.gather %[[IN]][%{{.+}}] [%[[SAFE]]], %{{.+}}, %[[PASS:.+]] : memref<40xf32>, vector<8xi32>, vector<8xi1>, vector<8xf32> into vector<8xf32>
// CHECK:         %[[X:.+]] = arith.select %[[MASK]], %[[READ]], %[[PASS]] : vector<8xi1>, vector<8xf32>
// CHECK:         vector.scatter %[[OUT]][%{{.+}}] [%{{.+}}], %[[MASK]], %[[X]] : memref<8xf32>, vector<8xi32>, vector<8xi1>, vector<8xf32>
tile.kernel @gather(%in: memref<40xf32>, %idx: memref<8xi32>, %out: memref<8xf32>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<8xindex>
  %i = tile.load %idx[%offs] {contiguity = 8 : i64} : memref<8xi32>[tensor<8xindex>] -> tensor<8xi32>
  %wide = arith.extsi %i : tensor<8xi32> to tensor<8xi64>
  %at = arith.index_cast %wide : tensor<8xi64> to tensor<8xindex>
  %n = arith.constant dense<40> : tensor<8xindex>
  %mask = arith.cmpi ult, %at, %n : tensor<8xindex>
  %one = arith.constant 1.0 : f32
  %x = tile.load %in[%at], %mask, %one : memref<40xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  tile.store %x, %out[%at], %mask : tensor<8xf32>, memref<8xf32>[tensor<8xindex>], tensor<8xi1>
  tile.return
}

// -----

// tile.dot outside a K loop: a, b and the accumulator are packed into stack
// panels; each
// register block of the result (here one row of 4) loads its accumulators,
// runs the k loop with one broadcast of a[i][k] and one multiply-add with row
// k of b (contractible into an FMA), and stores them back.
// CHECK-LABEL: tile.kernel @dot(
// CHECK:         %[[AP:.+]] = memref.alloca() : memref<6xf32>
// CHECK-COUNT-3: vector.store %{{.+}}, %[[AP]][%{{.+}}] : memref<6xf32>, vector<2xf32>
// CHECK:         %[[BP:.+]] = memref.alloca() : memref<8xf32>
// CHECK-COUNT-2: vector.store %{{.+}}, %[[BP]][%{{.+}}] : memref<8xf32>, vector<4xf32>
// CHECK:         %[[CP:.+]] = memref.alloca() : memref<12xf32>
// CHECK-COUNT-3: vector.store %{{.+}}, %[[CP]][%{{.+}}] : memref<12xf32>, vector<4xf32>
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK:             %[[ACC:.+]] = vector.load %[[CP]][%[[OFF:.+]]] : memref<12xf32>, vector<4xf32>
// CHECK:             %[[SUM:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[C:.+]] = %[[ACC]]) -> (vector<4xf32>) {
// CHECK:               %[[B:.+]] = vector.load %[[BP]][%{{.+}}] : memref<8xf32>, vector<4xf32>
// CHECK:               %[[A:.+]] = memref.load %[[AP]][%{{.+}}] : memref<6xf32>
// CHECK:               %[[S:.+]] = vector.broadcast %[[A]] : f32 to vector<4xf32>
// CHECK:               %[[P:.+]] = arith.mulf %[[S]], %[[B]] fastmath<contract> : vector<4xf32>
// CHECK:               %[[R:.+]] = arith.addf %[[C]], %[[P]] fastmath<contract> : vector<4xf32>
// CHECK:               scf.yield %[[R]] : vector<4xf32>
// CHECK:             vector.store %[[SUM]], %[[CP]][%[[OFF]]] : memref<12xf32>, vector<4xf32>
// CHECK-COUNT-3: vector.load %[[CP]][%{{.+}}] : memref<12xf32>, vector<4xf32>
// CHECK-COUNT-3: vector.store %{{.+}}, %arg2[%{{.+}}] : memref<12xf32>, vector<4xf32>
tile.kernel @dot(%a: memref<6xf32>, %b: memref<8xf32>, %out: memref<12xf32>)
    attributes {grid = array<i64: 1>} {
  %ra = tile.iota 0 : tensor<3x2xindex>
  %ca = tile.iota 1 : tensor<3x2xindex>
  %two = arith.constant dense<2> : tensor<3x2xindex>
  %rowa = arith.muli %ra, %two : tensor<3x2xindex>
  %offa = arith.addi %rowa, %ca : tensor<3x2xindex>
  %x = tile.load %a[%offa] : memref<6xf32>[tensor<3x2xindex>] -> tensor<3x2xf32>
  %rb = tile.iota 0 : tensor<2x4xindex>
  %cb = tile.iota 1 : tensor<2x4xindex>
  %four = arith.constant dense<4> : tensor<2x4xindex>
  %rowb = arith.muli %rb, %four : tensor<2x4xindex>
  %offb = arith.addi %rowb, %cb : tensor<2x4xindex>
  %y = tile.load %b[%offb] : memref<8xf32>[tensor<2x4xindex>] -> tensor<2x4xf32>
  %acc = arith.constant dense<0.0> : tensor<3x4xf32>
  %c = tile.dot %x, %y, %acc : tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
  %rc = tile.iota 0 : tensor<3x4xindex>
  %cc = tile.iota 1 : tensor<3x4xindex>
  %fourc = arith.constant dense<4> : tensor<3x4xindex>
  %rowc = arith.muli %rc, %fourc : tensor<3x4xindex>
  %offc = arith.addi %rowc, %cc : tensor<3x4xindex>
  tile.store %c, %out[%offc] : tensor<3x4xf32>, memref<12xf32>[tensor<3x4xindex>]
  tile.return
}

// -----

// A product's K loop (its iteration value only the accumulator of a
// tile.dot) is split into chunks of 256 columns of a: each chunk's steps
// store their operands into panels, each row right after it is read, then
// the microkernel runs over the chunk with its accumulators in registers.
// Here b's rows are whole-row reads of one buffer (a weight): the steps
// record where each row starts, and the microkernel reads b in place.
// CHECK-LABEL: tile.kernel @kloop(
// CHECK-NOT:     vector.contract
// CHECK:         %[[AP:.+]] = memref.alloca() : memref<512xf32>
// CHECK:         %[[CP:.+]] = memref.alloca() : memref<8xf32>
// CHECK-COUNT-2: vector.store %{{.+}}, %[[CP]][%{{.+}}] : memref<8xf32>, vector<4xf32>
// CHECK:         %[[ROWS:.+]] = memref.alloca() : memref<256xindex>
// CHECK:         scf.for %[[CHUNK:.+]] = %{{.+}} to %[[UB:.+]] step %[[CSTEP:.+]] {
// CHECK:           %[[NEXT:.+]] = arith.addi %[[CHUNK]], %[[CSTEP]] : index
// CHECK:           %[[END:.+]] = arith.minsi %[[NEXT]], %[[UB]] : index
// CHECK:           scf.for %{{.+}} = %[[CHUNK]] to %[[END]] step %{{.+}} {
// CHECK:             %[[A0:.+]] = vector.load %arg0[%{{.+}}] : memref<2048xf32>, vector<16xf32>
// CHECK:             vector.store %[[A0]], %[[AP]][%{{.+}}] : memref<512xf32>, vector<16xf32>
// CHECK:             %[[A1:.+]] = vector.load %arg0[%{{.+}}] : memref<2048xf32>, vector<16xf32>
// CHECK:             vector.store %[[A1]], %[[AP]][%{{.+}}] : memref<512xf32>, vector<16xf32>
// CHECK-COUNT-16:    memref.store %{{.+}}, %[[ROWS]][%{{.+}}] : memref<256xindex>
// CHECK:           }
// CHECK:           %[[SPAN:.+]] = arith.subi %[[END]], %[[CHUNK]] : index
// CHECK:           %[[STEPS:.+]] = arith.ceildivui %[[SPAN]], %{{.+}} : index
// CHECK:           %[[DEPTH:.+]] = arith.muli %[[STEPS]], %{{.+}} : index
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               vector.load %[[CP]]
// CHECK:               vector.load %[[CP]]
// CHECK:               scf.for %[[K:.+]] = %{{.+}} to %[[DEPTH]] step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<4xf32>, vector<4xf32>) {
// CHECK:                 %[[ROW:.+]] = memref.load %[[ROWS]][%[[K]]] : memref<256xindex>
// CHECK:                 %[[AT:.+]] = arith.addi %[[ROW]], %{{.+}} : index
// CHECK:                 vector.load %arg1[%[[AT]]] : memref<4096xf32>, vector<4xf32>
// CHECK-COUNT-2:         memref.load %[[AP]]
// CHECK:               vector.store %{{.+}}, %[[CP]]
// CHECK:               vector.store %{{.+}}, %[[CP]]
// CHECK:         }
// CHECK-COUNT-2: vector.load %[[CP]][%{{.+}}] : memref<8xf32>, vector<4xf32>
// CHECK:         vector.store %{{.+}}, %arg2
tile.kernel @kloop(%a: memref<2048xf32>, %b: memref<4096xf32>, %out: memref<8xf32>)
    attributes {grid = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c1024 = arith.constant 1024 : index
  %acc0 = arith.constant dense<0.0> : tensor<2x4xf32>
  %ra = tile.iota 0 : tensor<2x16xindex>
  %ca = tile.iota 1 : tensor<2x16xindex>
  %ka = arith.constant dense<1024> : tensor<2x16xindex>
  %rowa = arith.muli %ra, %ka : tensor<2x16xindex>
  %rb = tile.iota 0 : tensor<16x4xindex>
  %cb = tile.iota 1 : tensor<16x4xindex>
  %four = arith.constant dense<4> : tensor<16x4xindex>
  %sum = scf.for %k = %c0 to %c1024 step %c16 iter_args(%acc = %acc0) -> (tensor<2x4xf32>) {
    %ks = tensor.splat %k : tensor<2x16xindex>
    %cola = arith.addi %ca, %ks : tensor<2x16xindex>
    %offa = arith.addi %rowa, %cola : tensor<2x16xindex>
    %x = tile.load %a[%offa] {contiguity = 16 : i64} : memref<2048xf32>[tensor<2x16xindex>] -> tensor<2x16xf32>
    %kb = tensor.splat %k : tensor<16x4xindex>
    %rowk = arith.addi %rb, %kb : tensor<16x4xindex>
    %rowb = arith.muli %rowk, %four : tensor<16x4xindex>
    %offb = arith.addi %rowb, %cb : tensor<16x4xindex>
    %y = tile.load %b[%offb] {contiguity = 4 : i64} : memref<4096xf32>[tensor<16x4xindex>] -> tensor<16x4xf32>
    %d = tile.dot %x, %y, %acc : tensor<2x16xf32>, tensor<16x4xf32> -> tensor<2x4xf32>
    scf.yield %d : tensor<2x4xf32>
  }
  %rc = tile.iota 0 : tensor<2x4xindex>
  %cc = tile.iota 1 : tensor<2x4xindex>
  %fourc = arith.constant dense<4> : tensor<2x4xindex>
  %rowc = arith.muli %rc, %fourc : tensor<2x4xindex>
  %offc = arith.addi %rowc, %cc : tensor<2x4xindex>
  tile.store %sum, %out[%offc] {contiguity = 4 : i64} : tensor<2x4xf32>, memref<8xf32>[tensor<2x4xindex>]
  tile.return
}

// -----

// b's rows masked by one bit each (K = 1000 ends inside the last step): the
// steps also record the bits and the first row masked off, and store the
// rows masked off (`other`) into the panel. The microkernel reads b in
// place up to that row, and from the panel from there on, where the rows
// read are copied.
// CHECK-LABEL: tile.kernel @kloop_masked(
// CHECK:         %[[BP:.+]] = memref.alloca() : memref<1024xf32>
// CHECK:         %[[ROWS:.+]] = memref.alloca() : memref<256xindex>
// CHECK:         %[[SETS:.+]] = memref.alloca() : memref<256xi1>
// CHECK:         scf.for
// CHECK:           %[[FIRST:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (index) {
// CHECK:             memref.store %{{.+}}, %[[ROWS]]
// CHECK:             memref.store %{{.+}}, %[[SETS]]
// CHECK:             arith.minui
// CHECK:             scf.if %{{.+}} {
// CHECK:               vector.load %arg1
// CHECK:               vector.store %{{.+}}, %[[BP]]
// CHECK:             }
// CHECK-COUNT-15:    vector.store %{{.+}}, %[[BP]]
// CHECK:             scf.yield %{{.+}} : index
// CHECK:           %[[END:.+]] = arith.minui %[[FIRST]], %{{.+}} : index
// CHECK:           scf.for %{{.+}} = %{{.+}} to %[[END]] step
// CHECK:             memref.load %[[ROWS]]
// CHECK:             vector.load %arg1
// CHECK:           %[[REST:.+]] = arith.cmpi ult, %[[END]], %{{.+}} : index
// CHECK:           scf.if %[[REST]] {
// CHECK:             scf.for %[[K:.+]] = %[[END]] to
// CHECK:               %[[SET:.+]] = memref.load %[[SETS]][%[[K]]] : memref<256xi1>
// CHECK:               scf.if %[[SET]] {
// CHECK:                 memref.load %[[ROWS]][%[[K]]]
// CHECK:                 vector.load %arg1
// CHECK:                 vector.store %{{.+}}, %[[BP]]
// CHECK:             scf.for %{{.+}} = %[[END]] to
// CHECK:               vector.load %[[BP]]
tile.kernel @kloop_masked(%a: memref<2048xf32>, %b: memref<4096xf32>, %out: memref<8xf32>)
    attributes {grid = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %c16 = arith.constant 16 : index
  %c1024 = arith.constant 1024 : index
  %acc0 = arith.constant dense<0.0> : tensor<2x4xf32>
  %ra = tile.iota 0 : tensor<2x16xindex>
  %ca = tile.iota 1 : tensor<2x16xindex>
  %ka = arith.constant dense<1024> : tensor<2x16xindex>
  %rowa = arith.muli %ra, %ka : tensor<2x16xindex>
  %rb = tile.iota 0 : tensor<16x4xindex>
  %cb = tile.iota 1 : tensor<16x4xindex>
  %four = arith.constant dense<4> : tensor<16x4xindex>
  %sum = scf.for %k = %c0 to %c1024 step %c16 iter_args(%acc = %acc0) -> (tensor<2x4xf32>) {
    %ks = tensor.splat %k : tensor<2x16xindex>
    %cola = arith.addi %ca, %ks : tensor<2x16xindex>
    %offa = arith.addi %rowa, %cola : tensor<2x16xindex>
    %x = tile.load %a[%offa] {contiguity = 16 : i64} : memref<2048xf32>[tensor<2x16xindex>] -> tensor<2x16xf32>
    %kb = tensor.splat %k : tensor<16x4xindex>
    %rowk = arith.addi %rb, %kb : tensor<16x4xindex>
    %rowb = arith.muli %rowk, %four : tensor<16x4xindex>
    %offb = arith.addi %rowb, %cb : tensor<16x4xindex>
    %kmax = arith.constant dense<1000> : tensor<16x4xindex>
    %inside = arith.cmpi ult, %rowk, %kmax : tensor<16x4xindex>
    %y = tile.load %b[%offb], %inside, %zero : memref<4096xf32>[tensor<16x4xindex>], tensor<16x4xi1>, f32 -> tensor<16x4xf32>
    %d = tile.dot %x, %y, %acc : tensor<2x16xf32>, tensor<16x4xf32> -> tensor<2x4xf32>
    scf.yield %d : tensor<2x4xf32>
  }
  %rc = tile.iota 0 : tensor<2x4xindex>
  %cc = tile.iota 1 : tensor<2x4xindex>
  %fourc = arith.constant dense<4> : tensor<2x4xindex>
  %rowc = arith.muli %rc, %fourc : tensor<2x4xindex>
  %offc = arith.addi %rowc, %cc : tensor<2x4xindex>
  tile.store %sum, %out[%offc] {contiguity = 4 : i64} : tensor<2x4xf32>, memref<8xf32>[tensor<2x4xindex>]
  tile.return
}

// -----

// b's columns past a ragged edge (6 columns, tiles of 4): each row is a
// masked read, read whole where every column of its mask is on. The program
// at the edge copies every row.
// CHECK-LABEL: tile.kernel @kloop_ragged(
// CHECK:         %[[BP:.+]] = memref.alloca() : memref<1024xf32>
// CHECK:         %[[ROWS:.+]] = memref.alloca() : memref<256xindex>
// CHECK:         %[[SETS:.+]] = memref.alloca() : memref<256xi1>
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (index) {
// CHECK:             %[[WHOLE:.+]] = vector.reduction <and>, %[[MASK:.+]] : vector<4xi1> into i1
// CHECK:             scf.if %{{.+}} {
// CHECK:               vector.maskedload %arg1[%{{.+}}], %[[MASK]], %{{.+}}
// CHECK:               vector.store %{{.+}}, %[[BP]]
// CHECK-COUNT-15:    vector.reduction <and>
// CHECK:             scf.yield %{{.+}} : index
// CHECK:           scf.if
// CHECK:             memref.load %[[SETS]]
// CHECK:             vector.load %[[BP]]
// CHECK-NOT:         vector.maskedload %arg1
// CHECK:         tile.return
tile.kernel @kloop_ragged(%a: memref<2048xf32>, %b: memref<6144xf32>, %out: memref<12xf32>)
    attributes {grid = array<i64: 2>} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c1024 = arith.constant 1024 : index
  %acc0 = arith.constant dense<0.0> : tensor<2x4xf32>
  %pid = tile.program_id 0
  %first = arith.muli %pid, %c4 : index
  %ra = tile.iota 0 : tensor<2x16xindex>
  %ca = tile.iota 1 : tensor<2x16xindex>
  %ka = arith.constant dense<1024> : tensor<2x16xindex>
  %rowa = arith.muli %ra, %ka : tensor<2x16xindex>
  %rb = tile.iota 0 : tensor<16x4xindex>
  %cb = tile.iota 1 : tensor<16x4xindex>
  %firstb = tensor.splat %first : tensor<16x4xindex>
  %colb = arith.addi %cb, %firstb : tensor<16x4xindex>
  %six = arith.constant dense<6> : tensor<16x4xindex>
  %inside = arith.cmpi ult, %colb, %six : tensor<16x4xindex>
  %sum = scf.for %k = %c0 to %c1024 step %c16 iter_args(%acc = %acc0) -> (tensor<2x4xf32>) {
    %ks = tensor.splat %k : tensor<2x16xindex>
    %cola = arith.addi %ca, %ks : tensor<2x16xindex>
    %offa = arith.addi %rowa, %cola : tensor<2x16xindex>
    %x = tile.load %a[%offa] : memref<2048xf32>[tensor<2x16xindex>] -> tensor<2x16xf32>
    %kb = tensor.splat %k : tensor<16x4xindex>
    %rowk = arith.addi %rb, %kb : tensor<16x4xindex>
    %rowb = arith.muli %rowk, %six : tensor<16x4xindex>
    %offb = arith.addi %rowb, %colb : tensor<16x4xindex>
    %zero = arith.constant 0.0 : f32
    %y = tile.load %b[%offb], %inside, %zero : memref<6144xf32>[tensor<16x4xindex>], tensor<16x4xi1>, f32 -> tensor<16x4xf32>
    %d = tile.dot %x, %y, %acc : tensor<2x16xf32>, tensor<16x4xf32> -> tensor<2x4xf32>
    scf.yield %d : tensor<2x4xf32>
  }
  %rc = tile.iota 0 : tensor<2x4xindex>
  %cc = tile.iota 1 : tensor<2x4xindex>
  %firstc = tensor.splat %first : tensor<2x4xindex>
  %colc = arith.addi %cc, %firstc : tensor<2x4xindex>
  %sixc = arith.constant dense<6> : tensor<2x4xindex>
  %rowc = arith.muli %rc, %sixc : tensor<2x4xindex>
  %offc = arith.addi %rowc, %colc : tensor<2x4xindex>
  %insidec = arith.cmpi ult, %colc, %sixc : tensor<2x4xindex>
  tile.store %sum, %out[%offc], %insidec : tensor<2x4xf32>, memref<12xf32>[tensor<2x4xindex>], tensor<2x4xi1>
  tile.return
}

// -----

// An accumulator the loop also computes with is not split: each step packs
// its operands and runs the microkernel over them.
// CHECK-LABEL: tile.kernel @rescaled(
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %{{.+}}) -> (vector<2x4xf32>) {
// CHECK:           arith.mulf %{{.+}}, %{{.+}} : vector<2x4xf32>
// CHECK:           memref.alloca() : memref<32xf32>
// CHECK:           memref.alloca() : memref<64xf32>
// CHECK:           memref.alloca() : memref<8xf32>
// CHECK:           scf.yield %{{.+}} : vector<2x4xf32>
tile.kernel @rescaled(%a: memref<2048xf32>, %b: memref<4096xf32>, %out: memref<8xf32>)
    attributes {grid = array<i64: 1>} {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c1024 = arith.constant 1024 : index
  %acc0 = arith.constant dense<0.0> : tensor<2x4xf32>
  %ra = tile.iota 0 : tensor<2x16xindex>
  %ca = tile.iota 1 : tensor<2x16xindex>
  %ka = arith.constant dense<1024> : tensor<2x16xindex>
  %rowa = arith.muli %ra, %ka : tensor<2x16xindex>
  %rb = tile.iota 0 : tensor<16x4xindex>
  %cb = tile.iota 1 : tensor<16x4xindex>
  %four = arith.constant dense<4> : tensor<16x4xindex>
  %sum = scf.for %k = %c0 to %c1024 step %c16 iter_args(%acc = %acc0) -> (tensor<2x4xf32>) {
    %ks = tensor.splat %k : tensor<2x16xindex>
    %cola = arith.addi %ca, %ks : tensor<2x16xindex>
    %offa = arith.addi %rowa, %cola : tensor<2x16xindex>
    %x = tile.load %a[%offa] {contiguity = 16 : i64} : memref<2048xf32>[tensor<2x16xindex>] -> tensor<2x16xf32>
    %kb = tensor.splat %k : tensor<16x4xindex>
    %rowk = arith.addi %rb, %kb : tensor<16x4xindex>
    %rowb = arith.muli %rowk, %four : tensor<16x4xindex>
    %offb = arith.addi %rowb, %cb : tensor<16x4xindex>
    %y = tile.load %b[%offb] {contiguity = 4 : i64} : memref<4096xf32>[tensor<16x4xindex>] -> tensor<16x4xf32>
    %half = arith.constant dense<0.5> : tensor<2x4xf32>
    %scaled = arith.mulf %acc, %half : tensor<2x4xf32>
    %d = tile.dot %x, %y, %scaled : tensor<2x16xf32>, tensor<16x4xf32> -> tensor<2x4xf32>
    scf.yield %d : tensor<2x4xf32>
  }
  %rc = tile.iota 0 : tensor<2x4xindex>
  %cc = tile.iota 1 : tensor<2x4xindex>
  %fourc = arith.constant dense<4> : tensor<2x4xindex>
  %rowc = arith.muli %rc, %fourc : tensor<2x4xindex>
  %offc = arith.addi %rowc, %cc : tensor<2x4xindex>
  tile.store %sum, %out[%offc] {contiguity = 4 : i64} : tensor<2x4xf32>, memref<8xf32>[tensor<2x4xindex>]
  tile.return
}

// -----

// Reductions: along the last dimension one horizontal reduction per row
// (float sums reassociated), along the first the rows combined in order;
// tile.broadcast inserts unit dimensions, then stretches them.
// CHECK-LABEL: tile.kernel @reduce(
// CHECK:         %[[R0:.+]] = vector.extract %[[X:.+]][0] : vector<8xf32> from vector<2x8xf32>
// CHECK:         %[[S0:.+]] = vector.reduction <add>, %[[R0]] fastmath<reassoc> : vector<8xf32> into f32
// CHECK:         %[[SUM0:.+]] = vector.insert %[[S0]], %{{.+}} [0] : f32 into vector<2xf32>
// CHECK:         %[[R1:.+]] = vector.extract %[[X]][1] : vector<8xf32> from vector<2x8xf32>
// CHECK:         %[[S1:.+]] = vector.reduction <add>, %[[R1]] fastmath<reassoc> : vector<8xf32> into f32
// CHECK:         %[[SUM:.+]] = vector.insert %[[S1]], %[[SUM0]] [1] : f32 into vector<2xf32>
// CHECK:         %[[COL:.+]] = vector.shape_cast %[[SUM]] : vector<2xf32> to vector<2x1xf32>
// CHECK:         %[[B:.+]] = vector.broadcast %[[COL]] : vector<2x1xf32> to vector<2x8xf32>
// CHECK:         %[[D:.+]] = arith.subf %[[X]], %[[B]] : vector<2x8xf32>
// CHECK:         %[[D0:.+]] = vector.extract %[[D]][0] : vector<8xf32> from vector<2x8xf32>
// CHECK:         %[[D1:.+]] = vector.extract %[[D]][1] : vector<8xf32> from vector<2x8xf32>
// CHECK:         %[[MAX:.+]] = arith.maximumf %[[D0]], %[[D1]] : vector<8xf32>
// CHECK:         %[[M:.+]] = vector.reduction <maximumf>, %[[MAX]] : vector<8xf32> into f32
// CHECK:         vector.broadcast %[[M]] : f32 to vector<f32>
tile.kernel @reduce(%in: memref<16xf32>, %out: memref<1xf32>)
    attributes {grid = array<i64: 1>} {
  %r = tile.iota 0 : tensor<2x8xindex>
  %c = tile.iota 1 : tensor<2x8xindex>
  %eight = arith.constant dense<8> : tensor<2x8xindex>
  %row = arith.muli %r, %eight : tensor<2x8xindex>
  %offs = arith.addi %row, %c : tensor<2x8xindex>
  %x = tile.load %in[%offs] {contiguity = 8 : i64} : memref<16xf32>[tensor<2x8xindex>] -> tensor<2x8xf32>
  %sum = tile.reduce <sum>, %x {dim = 1 : i64} : tensor<2x8xf32> -> tensor<2xf32>
  %b = tile.broadcast %sum {dims = array<i64: 1>} : tensor<2xf32> -> tensor<2x8xf32>
  %d = arith.subf %x, %b : tensor<2x8xf32>
  %cols = tile.reduce <max>, %d {dim = 0 : i64} : tensor<2x8xf32> -> tensor<8xf32>
  %m = tile.reduce <max>, %cols {dim = 0 : i64} : tensor<8xf32> -> tensor<f32>
  %zero = arith.constant dense<0> : tensor<index>
  tile.store %m, %out[%zero] : tensor<f32>, memref<1xf32>[tensor<index>]
  tile.return
}

// -----

// A fault: where any violation is set, the elements are gone through in
// row-major order and the first recorded.
// CHECK-LABEL: tile.kernel @check(
// CHECK-SAME:    %{{.+}}: memref<41xi64>, %[[STATUS:.+]]: memref<3xi64>)
// CHECK:         %[[BAD:.+]] = arith.andi %{{.+}} : vector<64xi1>
// CHECK:         %[[ANY:.+]] = vector.reduction <or>, %[[BAD]] : vector<64xi1> into i1
// CHECK:         scf.if %[[ANY]] {
// CHECK:           scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK:             %[[B:.+]] = vector.extract %[[BAD]][%[[I]]] : i1 from vector<64xi1>
// CHECK:             scf.if %[[B]] {
// CHECK:               %[[DETAIL:.+]] = vector.extract %{{.+}}[%[[I]]] : i64 from vector<64xi64>
// CHECK:               memref.atomic_rmw
// CHECK:               memref.store %[[DETAIL]], %[[STATUS]]
tile.kernel @check(%ids: memref<41xi64>, %status: memref<3xi64>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<64xindex>
  %n = arith.constant dense<41> : tensor<64xindex>
  %mask = arith.cmpi ult, %offs, %n : tensor<64xindex>
  %zero = arith.constant 0 : i64
  %idx = tile.load %ids[%offs], %mask, %zero : memref<41xi64>[tensor<64xindex>], tensor<64xi1>, i64 -> tensor<64xi64>
  %size = arith.constant dense<1000> : tensor<64xi64>
  %high = arith.cmpi sge, %idx, %size : tensor<64xi64>
  %bad = arith.andi %mask, %high : tensor<64xi1>
  tile.fault %bad, %idx, %status {message = "index {} is out of range for axis 0 of size 1000", site = 7 : i32} : tensor<64xi1>, tensor<64xi64>, memref<3xi64>
  tile.return
}

// -----

// The register block: 8 rows of two 64-byte registers by default, 4 rows of
// two 32-byte registers for AVX2 (BLOCK32).
// CHECK-LABEL: tile.kernel @block(
// CHECK:         scf.for
// CHECK-COUNT-8:   arith.addf {{.+}} fastmath<contract> : vector<32xf32>
// CHECK-NOT:       arith.addf
// CHECK:           scf.yield
// BLOCK32-LABEL: tile.kernel @block(
// BLOCK32:         scf.for
// BLOCK32-COUNT-4:   arith.addf {{.+}} fastmath<contract> : vector<16xf32>
// BLOCK32-NOT:       arith.addf
// BLOCK32:           scf.yield
tile.kernel @block(%a: memref<8xf32>, %b: memref<64xf32>, %out: memref<512xf32>)
    attributes {grid = array<i64: 1>} {
  %oa = tile.iota 0 : tensor<8x1xindex>
  %x = tile.load %a[%oa] : memref<8xf32>[tensor<8x1xindex>] -> tensor<8x1xf32>
  %ob = tile.iota 1 : tensor<1x64xindex>
  %y = tile.load %b[%ob] {contiguity = 64 : i64} : memref<64xf32>[tensor<1x64xindex>] -> tensor<1x64xf32>
  %acc = arith.constant dense<0.0> : tensor<8x64xf32>
  %c = tile.dot %x, %y, %acc : tensor<8x1xf32>, tensor<1x64xf32> -> tensor<8x64xf32>
  %r = tile.iota 0 : tensor<8x64xindex>
  %col = tile.iota 1 : tensor<8x64xindex>
  %n = arith.constant dense<64> : tensor<8x64xindex>
  %row = arith.muli %r, %n : tensor<8x64xindex>
  %oc = arith.addi %row, %col : tensor<8x64xindex>
  tile.store %c, %out[%oc] {contiguity = 64 : i64} : tensor<8x64xf32>, memref<512xf32>[tensor<8x64xindex>]
  tile.return
}

// -----

// A run longer than its buffer, its mask one value: the load is under a
// branch on the mask bit.
// CHECK-LABEL: tile.kernel @short(
// CHECK:         %[[V:.+]] = scf.if %{{.+}} -> (vector<8xf32>) {
// CHECK:           vector.load %{{.+}} : memref<4xf32>, vector<8xf32>
// CHECK:         } else {
tile.kernel @short(%in: memref<4xf32>, %out: memref<8xf32>)
    attributes {grid = array<i64: 2>} {
  %pid = tile.program_id 0
  %c1 = arith.constant 1 : index
  %first = arith.cmpi ult, %pid, %c1 : index
  %offs = tile.iota 0 : tensor<8xindex>
  %mask = tensor.splat %first : tensor<8xi1>
  %zero = arith.constant 0.0 : f32
  %x = tile.load %in[%offs], %mask, %zero : memref<4xf32>[tensor<8xindex>], tensor<8xi1>, f32 -> tensor<8xf32>
  tile.store %x, %out[%offs] : tensor<8xf32>, memref<8xf32>[tensor<8xindex>]
  tile.return
}

// -----

// A buffer of 2^31 elements or more: offsets stay 64-bit.
// CHECK-LABEL: tile.kernel @large(
// CHECK:         arith.constant dense<[0, 1, 2, 3]> : vector<4xindex>
// CHECK:         vector.extract %{{.+}}[0] : index from vector<4xindex>
tile.kernel @large(%in: memref<2147483648xf32>, %out: memref<4xf32>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<4xindex>
  %x = tile.load %in[%offs] {contiguity = 4 : i64} : memref<2147483648xf32>[tensor<4xindex>] -> tensor<4xf32>
  tile.store %x, %out[%offs] {contiguity = 4 : i64} : tensor<4xf32>, memref<4xf32>[tensor<4xindex>]
  tile.return
}

// -----

// Rows longer than 512 elements stay on tensors, for the linalg path.
// CHECK-LABEL: tile.kernel @long(
// CHECK:         tile.load %{{.+}} : memref<1024xf32>[tensor<1024xindex>] -> tensor<1024xf32>
tile.kernel @long(%in: memref<1024xf32>, %out: memref<1024xf32>)
    attributes {grid = array<i64: 1>} {
  %offs = tile.iota 0 : tensor<1024xindex>
  %x = tile.load %in[%offs] {contiguity = 1024 : i64} : memref<1024xf32>[tensor<1024xindex>] -> tensor<1024xf32>
  tile.store %x, %out[%offs] {contiguity = 1024 : i64} : tensor<1024xf32>, memref<1024xf32>[tensor<1024xindex>]
  tile.return
}

// -----

// A product of whose 16 rows only the first `rows` are needed (37 rows in
// tiles of 16): blocks of 8 rows up to the last whole one, then at most one
// block of 4, 2 and 1 rows, as wide as the block of 8 holds accumulators
// (64 columns at most here).
// CHECK-LABEL: tile.kernel @rows(
// CHECK:         %[[ROWS:.+]] = arith.subi %c37, %{{.+}} : index
// CHECK:         %[[BOUND:.+]] = arith.minui %[[ROWS]], %c16{{.*}} : index
// CHECK:         scf.for %{{.+}} = %c0{{.*}} to %[[E8:.+]] step %c8
// CHECK:           scf.for %{{.+}} = %c0{{.*}} to %c64{{.*}} step %c32
// CHECK:             scf.for {{.+}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-COUNT-8:       arith.mulf %{{.+}}, %{{.+}} fastmath<contract> : vector<32xf32>
// CHECK:         scf.for %{{.+}} = %[[E8]] to %[[E4:.+]] step %c4
// CHECK:           scf.for %{{.+}} = %c0{{.*}} to %c64{{.*}} step %c64
// CHECK:             scf.for {{.+}} -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// CHECK:         scf.for %{{.+}} = %[[E4]] to %[[E2:.+]] step %c2
// CHECK:           scf.for %{{.+}} = %c0{{.*}} to %c64{{.*}} step %c64
// CHECK:             scf.for {{.+}} -> (vector<64xf32>, vector<64xf32>)
// CHECK:         scf.for %{{.+}} = %[[E2]] to %{{.+}} step %c1
// CHECK:           scf.for %{{.+}} = %c0{{.*}} to %c64{{.*}} step %c64
// CHECK:             scf.for {{.+}} -> (vector<64xf32>)
tile.kernel @rows(%a: memref<592xf32>, %b: memref<1024xf32>, %out: memref<2368xf32>)
    attributes {grid = array<i64: 3>} {
  %c16 = arith.constant 16 : index
  %c37 = arith.constant 37 : index
  %pid = tile.program_id 0
  %m0 = arith.muli %pid, %c16 : index
  %rows = arith.subi %c37, %m0 : index
  %acc = arith.constant dense<0.0> : tensor<16x64xf32>
  %ra = tile.iota 0 : tensor<16x16xindex>
  %ca = tile.iota 1 : tensor<16x16xindex>
  %m0a = tensor.splat %m0 : tensor<16x16xindex>
  %rowa = arith.addi %ra, %m0a : tensor<16x16xindex>
  %sixteen = arith.constant dense<16> : tensor<16x16xindex>
  %offa0 = arith.muli %rowa, %sixteen : tensor<16x16xindex>
  %offa = arith.addi %offa0, %ca : tensor<16x16xindex>
  %c37a = arith.constant dense<37> : tensor<16x16xindex>
  %inside = arith.cmpi ult, %rowa, %c37a : tensor<16x16xindex>
  %x = tile.load %a[%offa], %inside : memref<592xf32>[tensor<16x16xindex>], tensor<16x16xi1> -> tensor<16x16xf32>
  %rb = tile.iota 0 : tensor<16x64xindex>
  %cb = tile.iota 1 : tensor<16x64xindex>
  %sixtyfour = arith.constant dense<64> : tensor<16x64xindex>
  %offb0 = arith.muli %rb, %sixtyfour : tensor<16x64xindex>
  %offb = arith.addi %offb0, %cb : tensor<16x64xindex>
  %y = tile.load %b[%offb] : memref<1024xf32>[tensor<16x64xindex>] -> tensor<16x64xf32>
  %d = tile.dot %x, %y, %acc rows %rows : tensor<16x16xf32>, tensor<16x64xf32> -> tensor<16x64xf32>
  %m0c = tensor.splat %m0 : tensor<16x64xindex>
  %rowc = arith.addi %rb, %m0c : tensor<16x64xindex>
  %offc0 = arith.muli %rowc, %sixtyfour : tensor<16x64xindex>
  %offc = arith.addi %offc0, %cb : tensor<16x64xindex>
  %c37c = arith.constant dense<37> : tensor<16x64xindex>
  %insidec = arith.cmpi ult, %rowc, %c37c : tensor<16x64xindex>
  tile.store %d, %out[%offc], %insidec : tensor<16x64xf32>, memref<2368xf32>[tensor<16x64xindex>], tensor<16x64xi1>
  tile.return
}

// -----

// A row of a tile at a run-time position (meld-tile-epilogue-rows' row
// loop): the tile is stored into a stack buffer once, right after it is
// made, and each row is read back from there.
// CHECK-LABEL: tile.kernel @row_slice(
// CHECK-SAME:    %[[X:[^:]+]]: memref<256xf32>, %[[Y:[^:]+]]: memref<256xf32>)
// CHECK:         %[[T:.+]] = math.fma {{.+}} : vector<4x64xf32>
// CHECK-NEXT:    %[[BUF:.+]] = memref.alloca() : memref<256xf32>
// CHECK-COUNT-4: vector.store %{{.+}}, %[[BUF]][%{{.+}}] : memref<256xf32>, vector<64xf32>
// CHECK-NOT:     memref.alloca
// CHECK:         scf.for %[[R:.+]] = {{.+}} {
// CHECK:           %[[START:.+]] = arith.muli %[[R]], %{{.+}} : index
// CHECK:           %[[ROW:.+]] = vector.load %[[BUF]][%[[START]]] : memref<256xf32>, vector<64xf32>
// CHECK:           vector.shape_cast %[[ROW]] : vector<64xf32> to vector<1x64xf32>
// CHECK:           vector.store %{{.+}}, %[[Y]][%{{.+}}] : memref<256xf32>, vector<64xf32>
// CHECK:         }
// CHECK-NOT:     memref.alloca
// CHECK:         tile.return
tile.kernel @row_slice(%x: memref<256xf32>, %y: memref<256xf32>)
    attributes {grid = array<i64: 1>} {
  %rows = tile.iota 0 : tensor<4x64xindex>
  %cols = tile.iota 1 : tensor<4x64xindex>
  %c64 = arith.constant dense<64> : tensor<4x64xindex>
  %r64 = arith.muli %rows, %c64 : tensor<4x64xindex>
  %o = arith.addi %r64, %cols : tensor<4x64xindex>
  %v = tile.load %x[%o] : memref<256xf32>[tensor<4x64xindex>] -> tensor<4x64xf32>
  %t = math.fma %v, %v, %v : tensor<4x64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %r = %c0 to %c4 step %c1 {
    %row = tensor.extract_slice %t[%r, 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<1x64xf32>
    %again = tensor.extract_slice %t[%r, 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<1x64xf32>
    %sum = arith.addf %row, %again : tensor<1x64xf32>
    %rs = tensor.splat %r : tensor<1x64xindex>
    %c64r = arith.constant dense<64> : tensor<1x64xindex>
    %start = arith.muli %rs, %c64r : tensor<1x64xindex>
    %i = tile.iota 1 : tensor<1x64xindex>
    %offs = arith.addi %start, %i : tensor<1x64xindex>
    tile.store %sum, %y[%offs] : tensor<1x64xf32>, memref<256xf32>[tensor<1x64xindex>]
  }
  tile.return
}
