# Frigate-style motion detection in OpenCV (after frigate/motion/improved_motion.py): resize to a
# 180 px height, improve contrast (4th/96th percentile stretch), Gaussian blur, running average
# (accumulateWeighted), absdiff, threshold, dilate, contours + bounding boxes. One thread.
#   /usr/bin/python3 opencv_motion.py <frames.raw> <W> <H> <count> <ms>
# Prints one JSON line per variant: {"name", "nsPerFrame", "boxes"}.
import json, sys, time
import numpy as np, cv2

path, W, H, N, MS = sys.argv[1], *map(int, sys.argv[2:5]), float(sys.argv[5])
cv2.setNumThreads(1)
raw = np.fromfile(path, dtype=np.uint8)
frames = [raw[i * W * H:(i + 1) * W * H].reshape(H, W) for i in range(N)]

class FrigateStyle:
    def __init__(self, interpolation, contrast, height=180, threshold=30, contour_area=10, alpha=0.01):
        self.size = (int(round(W * height / H)), height)
        self.interpolation, self.contrast = interpolation, contrast
        self.threshold, self.contour_area, self.alpha = threshold, contour_area, alpha
        self.avg = None
        self.contrast_values = np.zeros((50, 2), np.uint8); self.contrast_values[:, 1] = 255; self.ci = 0

    def detect(self, gray):
        r = cv2.resize(gray, self.size, interpolation=self.interpolation)
        if self.contrast:
            mn = np.percentile(r, 4).astype(np.uint8); mx = np.percentile(r, 96).astype(np.uint8)
            if mn < mx:
                self.contrast_values[self.ci] = [mn, mx]; self.ci = (self.ci + 1) % 50
                mn, mx = np.percentile(self.contrast_values[:, 0], 50), np.percentile(self.contrast_values[:, 1], 50)
                r = np.clip(r, mn, mx)
                r = (((r - mn) / (mx - mn)) * 255).astype(np.uint8)
        r = cv2.GaussianBlur(r, (3, 3), 1)
        if self.avg is None: self.avg = r.astype(np.float32)
        delta = cv2.absdiff(r, cv2.convertScaleAbs(self.avg))
        thresh = cv2.threshold(delta, self.threshold, 255, cv2.THRESH_BINARY)[1]
        thresh = cv2.dilate(thresh, None, iterations=1)
        contours, _ = cv2.findContours(thresh, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        boxes = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) > self.contour_area]
        cv2.accumulateWeighted(r, self.avg, self.alpha)
        return boxes

def bench(name, det):
    # median of per-frame samples over a ring of frames: preemption lands in a few samples only
    i = 0; boxes = 0
    for _ in range(30): det.detect(frames[i % N]); i += 1
    samples = []; t0 = time.perf_counter()
    while (time.perf_counter() - t0) * 1000 < MS:
        s0 = time.perf_counter()
        boxes += len(det.detect(frames[i % N])); i += 1
        samples.append((time.perf_counter() - s0) * 1e9)
    samples.sort()
    print(json.dumps({'name': name, 'nsPerFrame': round(samples[len(samples) // 2], 1), 'frames': len(samples), 'boxes': boxes}), flush=True)

bench('frigate-style (INTER_LINEAR, contrast)', FrigateStyle(cv2.INTER_LINEAR, True))
bench('frigate-style (INTER_AREA, contrast)', FrigateStyle(cv2.INTER_AREA, True))
bench('frigate-lite (INTER_NEAREST, no contrast)', FrigateStyle(cv2.INTER_NEAREST, False))
print(json.dumps({'name': 'opencv', 'version': cv2.__version__}), flush=True)
