# OpenCV peers of oko's WASM kernels, on the same frames, one thread, outputs preallocated
# (OpenCV's fastest use). Run by bench/kernels.bench.ts with Debian's python3-opencv:
#   /usr/bin/python3 opencv_kernels.py <frames.raw> <W> <H> <count> <pw> <ph> <ms>
# Prints one JSON line per kernel: {"name", "nsPerOp"}.
import json, sys, time
import numpy as np, cv2

path, W, H, N, PW, PH, MS = sys.argv[1], *map(int, sys.argv[2:7]), float(sys.argv[7])
cv2.setNumThreads(1)
raw = np.fromfile(path, dtype=np.uint8)
frames = [raw[i * W * H:(i + 1) * W * H].reshape(H, W) for i in range(N)]
small = cv2.resize(frames[0], (PW, PH), interpolation=cv2.INTER_AREA)
out = np.empty_like(small)
big_out = np.empty_like(frames[0])
down = np.empty((PH, PW), np.uint8)
avg = small.astype(np.float32)
mask = (small > 128).astype(np.uint8) * 255
labels = np.empty((PH, PW), np.int32)
kernel = np.ones((3, 3), np.uint8)

def bench(name, fn):
    # median of 4-call samples: preemption on a busy machine lands in a few samples only
    i = 0
    for _ in range(20): fn(i); i += 1
    samples = []; t0 = time.perf_counter()
    while (time.perf_counter() - t0) * 1000 < MS:
        s0 = time.perf_counter()
        for _ in range(4): fn(i); i += 1
        samples.append((time.perf_counter() - s0) / 4 * 1e9)
    samples.sort()
    print(json.dumps({'name': name, 'nsPerOp': round(samples[len(samples) // 2], 1), 'samples': len(samples)}), flush=True)

def diff_count(i):
    cv2.absdiff(frames[i % N], frames[(i + 1) % N], dst=big_out)
    cv2.threshold(big_out, 25, 255, cv2.THRESH_BINARY, dst=big_out)
    return cv2.countNonZero(big_out)

bench('absDiffThresholdCount 1080p', diff_count)
bench('downscaleArea 1080p->processing', lambda i: cv2.resize(frames[i % N], (PW, PH), dst=down, interpolation=cv2.INTER_AREA))
bench('blur3 processing', lambda i: cv2.GaussianBlur(small, (3, 3), 0, dst=out))
bench('erode3 processing', lambda i: cv2.erode(small, kernel, dst=out))
bench('dilate3 processing', lambda i: cv2.dilate(small, kernel, dst=out))
bench('threshold processing', lambda i: cv2.threshold(small, 128, 255, cv2.THRESH_BINARY, dst=out))
bench('bgUpdate processing', lambda i: cv2.accumulateWeighted(small, avg, 0.02))
bench('labelRegions processing', lambda i: cv2.connectedComponentsWithStats(mask, labels=labels, connectivity=8))
print(json.dumps({'name': 'opencv', 'version': cv2.__version__}), flush=True)
