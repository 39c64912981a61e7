//===- InitAllPasses.h - Register every pass and pipeline -------*- C++ -*-===//

#ifndef MELD_INITALLPASSES_H
#define MELD_INITALLPASSES_H

namespace meld {

/// Registers Meld's passes and pipelines (and the upstream passes its tests
/// use) with the global registry, so meld-opt can run them by name.
void registerAllPasses();

} // namespace meld

#endif // MELD_INITALLPASSES_H
