# tests/hostile: placeholder
