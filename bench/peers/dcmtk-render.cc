// DCMTK as the imaging benchmark's peer, in one process: per iteration it does
// what `dcmj2pnm +Wi 1 +Syv 224 in out` does for one file (load, decode, first
// VOI window, scale the height to 224 with DCMTK's default interpolation,
// render 8-bit output) and prints the CPU and wall milliseconds of each, so
// the comparison with RadZ carries no process start-up to subtract.
//
//   g++ -O2 -o dcmtk-render dcmtk-render.cc -ldcmimage -ldcmimgle -ldcmjpeg \
//       -ldcmjpls -ldcmdata -loflog -lofstd      (Debian: g++ libdcmtk-dev)
//   dcmtk-render FILE ITERATIONS WARMUP
//
// Output: one JSON line {"cpuMs":[...],"ms":[...]}.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

static double now(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// Returns a checksum of the rendered output so the work cannot be skipped.
static unsigned long renderOnce(const char* file) {
  // As dcm2pnm.cc (dcmj2pnm) does it: the image takes over the dataset, may
  // drop the pixel data once it has its own copy, and a single-frame image is
  // decompressed whole.
  DcmFileFormat* ff = new DcmFileFormat();
  if (ff->loadFile(file, EXS_Unknown, EGL_withoutGL, DCM_MaxReadLength, ERM_autoDetect).bad()) {
    std::fprintf(stderr, "cannot read %s\n", file);
    std::exit(2);
  }
  E_TransferSyntax xfer = ff->getDataset()->getOriginalXfer();
  Sint32 frames = 1;
  if (ff->getDataset()->findAndGetSint32(DCM_NumberOfFrames, frames).bad()) frames = 1;
  unsigned long flags = CIF_MayDetachPixelData | CIF_TakeOverExternalDataset;
  if (frames == 1) flags |= CIF_DecompressCompletePixelData;
  DicomImage image(ff, xfer, flags, 0, 1);
  if (image.getStatus() != EIS_Normal) {
    std::fprintf(stderr, "cannot decode %s: %s\n", file, DicomImage::getString(image.getStatus()));
    std::exit(3);
  }
  image.setWindow(0);
  DicomImage* scaled = image.createScaledImage(0UL, 224UL, 1 /* interpolate, dcmj2pnm default */, 1);
  if (scaled == nullptr) std::exit(4);
  const Uint8* out = static_cast<const Uint8*>(scaled->getOutputData(8));
  unsigned long n = scaled->getOutputDataSize(8), sum = 0;
  for (unsigned long i = 0; i < n; i++) sum += out[i];
  delete scaled;
  return sum;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: dcmtk-render FILE ITERATIONS WARMUP\n");
    return 1;
  }
  DJDecoderRegistration::registerCodecs();
  DJLSDecoderRegistration::registerCodecs();
  DcmRLEDecoderRegistration::registerCodecs();
  const int iterations = std::atoi(argv[2]), warmup = std::atoi(argv[3]);
  unsigned long check = 0;
  for (int i = 0; i < warmup; i++) check += renderOnce(argv[1]);
  std::string cpu, wall;
  for (int i = 0; i < iterations; i++) {
    double c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
    check += renderOnce(argv[1]);
    double c1 = now(CLOCK_PROCESS_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%.3f", i ? "," : "", c1 - c0);
    cpu += buf;
    std::snprintf(buf, sizeof buf, "%s%.3f", i ? "," : "", w1 - w0);
    wall += buf;
  }
  std::printf("{\"cpuMs\":[%s],\"ms\":[%s],\"check\":%lu}\n", cpu.c_str(), wall.c_str(), check);
  DJDecoderRegistration::cleanup();
  DJLSDecoderRegistration::cleanup();
  DcmRLEDecoderRegistration::cleanup();
  return 0;
}
