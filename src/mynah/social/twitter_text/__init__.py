from mynah.social.twitter_text.parse_tweet import parse_tweet, ParsedResult
from mynah.social.twitter_text.extract_urls import extract_urls, extract_urls_with_indices
from mynah.social.twitter_text.extract_emojis import extract_emojis_with_indices

__all__ = [
    'ParsedResult',
    'parse_tweet',
    'extract_urls',
    'extract_urls_with_indices',
    'extract_emojis_with_indices',
]
