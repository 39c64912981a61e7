// RUN: meld-opt %s --pass-pipeline='builtin.module(llvm.func(meld-llvm-loop-annotations))' | FileCheck %s
// RUN: meld-opt %s --pass-pipeline='builtin.module(llvm.func(meld-llvm-loop-annotations))' | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=IR

// A latch branch's discardable llvm.loop_annotation (as scf-to-cf and
// cf-to-llvm leave it) becomes the branch's own loop_annotation, which the
// translation makes !llvm.loop metadata: on llvm.br and on llvm.cond_br.
// CHECK-LABEL: llvm.func @br_latch(
// CHECK:         llvm.br ^bb1(%{{.+}} : i32) {loop_annotation = #{{.+}}}
// CHECK-LABEL: llvm.func @cond_br_latch(
// CHECK:         llvm.cond_br %{{.+}}, ^bb1(%{{.+}} : i32), ^bb2 {loop_annotation = #{{.+}}}
// CHECK-NOT:     llvm.loop_annotation =
// IR-LABEL: define void @br_latch(
// IR: br label %{{.+}}, !llvm.loop ![[LOOP:[0-9]+]]
// IR-LABEL: define void @cond_br_latch(
// IR: br i1 %{{.+}}, label %{{.+}}, label %{{.+}}, !llvm.loop ![[LOOP2:[0-9]+]]
// IR: ![[LOOP]] = distinct !{![[LOOP]], ![[DISABLE:[0-9]+]]}
// IR: ![[DISABLE]] = !{!"llvm.loop.unroll.disable"}
#nounroll = #llvm.loop_annotation<unroll = #llvm.loop_unroll<disable = true>>
llvm.func @br_latch(%n: i32) {
  %c0 = llvm.mlir.constant(0 : i32) : i32
  %c1 = llvm.mlir.constant(1 : i32) : i32
  llvm.br ^bb1(%c0 : i32)
^bb1(%i: i32):
  %next = llvm.add %i, %c1 : i32
  %more = llvm.icmp "slt" %next, %n : i32
  llvm.cond_br %more, ^bb3, ^bb2
^bb3:
  llvm.br ^bb1(%next : i32) {llvm.loop_annotation = #nounroll}
^bb2:
  llvm.return
}
llvm.func @cond_br_latch(%n: i32) {
  %c0 = llvm.mlir.constant(0 : i32) : i32
  %c1 = llvm.mlir.constant(1 : i32) : i32
  llvm.br ^bb1(%c0 : i32)
^bb1(%i: i32):
  %next = llvm.add %i, %c1 : i32
  %more = llvm.icmp "slt" %next, %n : i32
  llvm.cond_br %more, ^bb1(%next : i32), ^bb2 {llvm.loop_annotation = #nounroll}
^bb2:
  llvm.return
}
