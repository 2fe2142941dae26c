// Last in this tier (files run one at a time, in name order): nothing the
// tier's tests started may still be running (test/helpers/leftovers.ts).
import { checkTier } from '../helpers/leftovers'

checkTier('arm64')
