#!/usr/bin/env bash
# Regenerates fixtures/ with ImageMagick 6 (Debian `imagemagick`). The committed images were made by this script;
# it is not part of the build. Deterministic inputs (seeded plasma, fixed text) keep sizes stable, all under 100 KB.
set -euo pipefail
cd "$(dirname "$0")/../fixtures"
IM=/usr/bin/convert
$IM -seed 4 -size 320x240 plasma:orange-brown -fill white -stroke black -pointsize 48 -gravity center \
  -annotate 0 "cat" -quality 82 -strip cat.jpg
$IM -seed 7 -size 256x256 gradient:'#1e3c72'-'#f7b733' -swirl 90 -depth 8 -strip sunset.png
$IM -size 64x64 xc:white -fill '#2a9d8f' -draw 'circle 32,32 32,6' \( +clone -rotate 90 \) \( +clone -rotate 90 \) \
  -set delay 20 -loop 0 spinner.gif
$IM -seed 11 -size 300x200 plasma:green-yellow -quality 80 -define webp:method=6 leaf.webp
$IM -seed 2 -size 480x360 plasma:skyblue-navy -quality 90 -strip "my cat.jpg"
$IM -seed 3 -size 96x96 gradient:red-blue -depth 8 -strip "a+b.png"
$IM -seed 5 -size 200x150 plasma:pink-purple -quality 75 -strip "été 猫.jpg"
$IM -seed 9 -size 700x500 plasma:gray-white -quality 85 -strip "large photo (1).jpg"
printf 'Not an image: the CLI skips this file unless --any is given.\n' > notes.txt
ls -l
